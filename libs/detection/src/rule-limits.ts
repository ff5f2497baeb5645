import type { Diagnostic } from './ruleset';
import { lineStartsOf, positionOf, readRuleText, type Position, type RuleTextReading } from './rule-text';

/**
 * Bounds on the shape of rule text, checked before YARA-X sees it: the engine parses and compiles recursively and in
 * places in quadratic time, so text that is cheap to write can overflow its stack (a segmentation fault takes the
 * whole process with it) or keep it busy for minutes. Each bound sits far above what real rules need.
 */
export interface RuleLimits {
  /** UTF-8 bytes of one RuleSource. */
  maxSourceBytes: number;
  /** Nesting of `(`, `[` and chained operators, anywhere in a source (see checkRuleStructure). */
  maxNestingDepth: number;
  /** `$name = …` definitions in one rule's strings section. */
  maxPatternsPerRule: number;
  /** Tokens in one rule's condition, strings and regular expressions not counted. */
  maxConditionTokens: number;
  /** Jumps (`[n-m]`) and alternatives (`|`) in one hex string. */
  maxHexJumps: number;
}

export const DEFAULT_RULE_LIMITS: Readonly<RuleLimits> = {
  // a source is one rule of a few hundred bytes to a few KiB; the largest real ones (long hash lists, a big hex
  // string) stay well under 256 KiB, and YARA-X takes about 0.3 s for a 100,000-byte hex string. The size also
  // bounds what is linear but slow per byte: 850 KiB of short hex strings full of jumps took YARA-X 50 s
  maxSourceBytes: 256 * 1024,
  // real rules nest under 10 levels (`not (uint32(uint32(0x3C)) == 0x4550 and (…))`), rarely 20. YARA-X 1.x on an
  // 8 MiB stack crashed at 25,000 parentheses, 40,000 `not`, 30,000 hex alternatives and 12,000 chained comparisons;
  // a 4 MiB worker-thread stack at 15,000 parentheses. 64 leaves headroom for any real rule and a margin of over
  // a hundred against the smallest stack a YARA-X thread might run on.
  maxNestingDepth: 64,
  // libyara's own default (DEFAULT_MAX_STRINGS_PER_RULE); YARA-X compiles 10,000 patterns of one rule in about 0.6 s
  // but 100,000 in 22 s, and the time grows faster than the count
  maxPatternsPerRule: 10_000,
  // 50,000 tokens hold about 5,000 `hash.md5(0, filesize) == "…"` comparisons (1.5 s to compile); YARA-X's time
  // grows with the square of a condition's length: 100,000 `or`-ed comparisons ran for over two minutes
  maxConditionTokens: 50_000,
  // libyara refuses a hex string or regular expression of more than 128 splits (RE_MAX_SPLIT_ID), which jumps and
  // alternatives use; YARA-X's time grows with the square of the jumps next to wildcards in one hex string:
  // `?? 41 [-] 42` 1,000 times took 1.7 s, 4,000 times 28 s; 128 take under 0.1 s
  maxHexJumps: 128,
};

/**
 * Binary operators YARA-X parses by recursion (a chain of N of them nests N levels) and the prefix operators,
 * which nest one level each; `and`, `or`, `+`, `-`, `*` and the like are parsed in a loop and chain freely.
 */
const NESTING_OPERATORS = new Set([
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&',
  '|',
  '^',
  '<<',
  '>>',
  'contains',
  'icontains',
  'startswith',
  'istartswith',
  'endswith',
  'iendswith',
  'iequals',
  'matches',
]);
const PREFIX_OPERATORS = new Set(['not', 'defined', '~']);
/** Where a chain of operators ends: the next operand starts a subexpression of its own. */
const CHAIN_BREAKS = new Set(['and', 'or', ',', ':', '..', 'of', 'in', 'at', 'condition']);
/** Tokens after which a `-` subtracts rather than negates: the end of an operand. */
const OPERAND_END = /^(?:[A-Za-z0-9_]|[$#@!][A-Za-z0-9_]*\*?$|[)\]]$)/;
const KEYWORD_OPERATORS = new Set([...NESTING_OPERATORS, ...PREFIX_OPERATORS, ...CHAIN_BREAKS]);

type Section = 'head' | 'meta' | 'strings' | 'condition';

// the blanked text only holds identifiers, numbers, pattern references and punctuation
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|<<|>>|\.\.|[$#@!][A-Za-z0-9_]*\*?|0[xXoO][0-9A-Fa-f]+|\d+|\S/g;

/**
 * Checks one source against the limits on its lexical reading (comments, strings and regular expressions blanked),
 * in time linear in its length. The diagnostics carry line and column but no `source`: the caller knows its name.
 *
 * Nesting counts every open `(` and `[` (hex strings included), plus, within each of them, the chained operators
 * and prefix operators met since the last `and`, `or`, `,` or `:`: `not not x` and `a == b == c` nest like
 * parentheses in YARA-X's parser. The count is on the conservative side (`not (x)` counts two levels).
 */
export function checkRuleStructure(
  source: string,
  limits: Partial<RuleLimits> = {},
  reading?: RuleTextReading,
): Diagnostic[] {
  const bounds = { ...DEFAULT_RULE_LIMITS, ...limits };
  const tooLarge = checkSourceSize(source, bounds);
  if (tooLarge) return [tooLarge];
  const text = (reading ?? readRuleText(source)).blanked;
  const lineStarts = lineStartsOf(source);
  const at = (index: number): Position => positionOf(lineStarts, index);
  const found: Diagnostic[] = [];

  // nesting: one chain count per open bracket (the first for the top level), and their running total
  const chains = [0];
  let chainTotal = 0;
  let deepest = 0;
  let tooDeepAt: number | undefined;
  // the rule being read
  let braces = 0;
  let section = 'head' as Section;
  let ruleName: { name: string; index: number } | undefined;
  let expectName = false;
  let patterns = 0;
  let conditionTokens = 0;
  let conditionAt = 0;
  let hexString: { index: number; jumps: number } | undefined;
  let previous = '';

  const endRule = () => {
    const name = ruleName?.name ?? '?';
    if (patterns > bounds.maxPatternsPerRule) {
      found.push({
        severity: 'error',
        code: 'too_many_patterns',
        message: `rule \`${name}\` defines ${patterns} patterns; at most ${bounds.maxPatternsPerRule} are allowed`,
        detail:
          `rule \`${name}\` defines ${patterns} patterns in its strings section, more than the ` +
          `${bounds.maxPatternsPerRule} allowed in one rule; split it into several rules`,
        ...at(ruleName?.index ?? 0),
      });
    }
    if (conditionTokens > bounds.maxConditionTokens) {
      found.push({
        severity: 'error',
        code: 'condition_too_large',
        message:
          `the condition of rule \`${name}\` has ${conditionTokens} tokens; ` +
          `at most ${bounds.maxConditionTokens} are allowed`,
        detail:
          `the condition of rule \`${name}\` is made of ${conditionTokens} tokens (identifiers, numbers, operators), ` +
          `more than the ${bounds.maxConditionTokens} allowed: the compile time grows with the square of its length; ` +
          'split it into several rules',
        ...at(conditionAt),
      });
    }
    ruleName = undefined;
    patterns = 0;
    conditionTokens = 0;
    section = 'head';
    chains.splice(0, chains.length, 0);
    chainTotal = 0;
  };

  const endHexString = (hex: { index: number; jumps: number }) => {
    hexString = undefined;
    if (hex.jumps <= bounds.maxHexJumps) return;
    const name = ruleName?.name ?? '?';
    found.push({
      severity: 'error',
      code: 'hex_string_too_complex',
      message:
        `a hex string of rule \`${name}\` has ${hex.jumps} jumps and alternatives; ` +
        `at most ${bounds.maxHexJumps} are allowed`,
      detail:
        `this hex string of rule \`${name}\` holds ${hex.jumps} jumps ([n-m]) and alternatives (|), more than the ` +
        `${bounds.maxHexJumps} allowed in one hex string: the compile time grows with their square; ` +
        'split it into several patterns',
      ...at(hex.index),
    });
  };

  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    const index = match.index ?? 0;
    if (expectName && /^[A-Za-z_]/.test(token)) ruleName = { name: token, index };
    expectName = braces === 0 && token === 'rule';

    if (braces === 1 && previous !== '.' && /^(meta|strings|condition)$/.test(token)) {
      section = token as Section;
      if (token === 'condition') conditionAt = index;
    }
    if (section === 'condition' && braces >= 1) conditionTokens++;
    if (section === 'strings' && braces === 1 && token === '=' && previous.startsWith('$')) patterns++;

    if (hexString && braces === 2 && (token === '[' || token === '|')) hexString.jumps++;

    let nested = false;
    if (token === '{') {
      if (++braces === 2 && section === 'strings') hexString = { index, jumps: 0 };
    } else if (token === '}') {
      if (braces === 2 && hexString) endHexString(hexString);
      if (braces > 0 && --braces === 0) endRule();
    } else if (token === '(' || token === '[') {
      chains.push(0);
    } else if (token === ')' || token === ']') {
      if (chains.length > 1) chainTotal -= chains.pop() as number;
    } else if (section === 'condition' && braces === 1) {
      const prefixMinus = token === '-' && !(OPERAND_END.test(previous) && !KEYWORD_OPERATORS.has(previous));
      if (NESTING_OPERATORS.has(token) || PREFIX_OPERATORS.has(token) || prefixMinus) {
        chains[chains.length - 1]++;
        chainTotal++;
        nested = true;
      } else if (CHAIN_BREAKS.has(token)) {
        chainTotal -= chains[chains.length - 1];
        chains[chains.length - 1] = 0;
      }
    }
    if (nested || token === '(' || token === '[') {
      const depth = chains.length - 1 + chainTotal;
      if (depth > deepest) deepest = depth;
      if (depth > bounds.maxNestingDepth && tooDeepAt === undefined) tooDeepAt = index;
    }
    previous = token;
  }
  if (hexString) endHexString(hexString);
  if (braces > 0) endRule();

  if (tooDeepAt !== undefined) {
    found.unshift({
      severity: 'error',
      code: 'nesting_too_deep',
      message: `the rule text nests ${deepest} levels deep; at most ${bounds.maxNestingDepth} are allowed`,
      detail:
        `parentheses, brackets and chained operators nest ${deepest} levels deep, more than the ` +
        `${bounds.maxNestingDepth} allowed; the first level too many is here. Real rules stay far below this; ` +
        'text nested thousands deep crashes the rule engine',
      ...at(tooDeepAt),
    });
  }
  return found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** The size limit alone: checked before anything else reads the source. */
export function checkSourceSize(source: string, limits: Partial<RuleLimits> = {}): Diagnostic | undefined {
  const limit = limits.maxSourceBytes ?? DEFAULT_RULE_LIMITS.maxSourceBytes;
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes <= limit) return undefined;
  return {
    severity: 'error',
    code: 'source_too_large',
    message: `the source is ${kib(bytes)} long; at most ${kib(limit)} are allowed`,
    detail: `the source holds ${bytes} bytes of UTF-8, more than the ${limit} allowed for one source; split it up`,
  };
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
