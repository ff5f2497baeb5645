import { readRuleText } from '@sigdesk/detection';
import { ContentRule, ruleRevision } from '../content/signature-content';
import type { RawScan } from '../scan-verdicts.repository';

/** A rule of a content; sources may name a YARA namespace (absent or null: the default one). */
type Rule = ContentRule & { namespace?: string | null };

/**
 * How the candidate's scans can be made from the parent's: `full` when only a scan with the whole candidate ruleset
 * answers what it would, `delta` when the parent's matches without the `dropped` rules, plus the matches of the
 * `added` entries compiled alone, answer the same.
 */
export type ContentDelta =
  | { scan: 'full'; reason: string }
  | {
      scan: 'delta';
      /** entries of the candidate the parent does not hold as they are: new names, and new sources of a name */
      added: ContentRule[];
      /** the rules whose matches no longer stand, as a scan names them: those of removed or changed entries */
      dropped: ReadonlySet<string>;
    };

/**
 * The difference between the parent's rules and the candidate's, and whether scans with the parent's rules and with
 * the added ones alone answer for the candidate. They do unless one rule's behaviour depends on another that the
 * difference touches, which YARA allows in three ways, each sending the proof to a full scan:
 * - a rule condition names another rule: an unchanged rule that mentions a removed or changed rule's name (as a
 *   word, anywhere in its source: a mention in a comment costs a full scan, a missed reference a wrong proof); an
 *   added rule that names a rule of the parent does not compile alone (the caller falls back then);
 * - a rule set with a wildcard (`any of (Trojan_*)`) covers the rules whose names start with its prefix;
 * - a global rule switches off every other rule of its namespace that it does not match.
 * Rules of namespaces the difference does not touch are left alone: no rule depends on another namespace's.
 */
export function contentDelta(parent: readonly ContentRule[], candidate: readonly ContentRule[]): ContentDelta {
  const parentRules = byKey(parent);
  const candidateRules = byKey(candidate);
  if (!parentRules || !candidateRules) return { scan: 'full', reason: 'a rule name appears twice' };
  const added = candidate.filter((rule) => parentRules.get(keyOf(rule))?.sha256 !== rule.sha256);
  const removed = parent.filter((rule) => candidateRules.get(keyOf(rule))?.sha256 !== rule.sha256);
  if (added.length === 0 && removed.length === 0) return { scan: 'full', reason: 'the rules are the same' };
  // a rule only ever depends on rules of its own namespace
  const touched = new Set([...added, ...removed].map(namespaceOf));
  const unchanged = parent.filter(
    (rule) => touched.has(namespaceOf(rule)) && candidateRules.get(keyOf(rule))?.sha256 === rule.sha256,
  );

  const global = [...added, ...removed, ...unchanged].find((rule) => hasGlobalRule(rule.source));
  if (global) return { scan: 'full', reason: `${global.name} holds a global rule` };

  const removedNames = removed.map((rule) => ({ rule, declared: declaredNames(rule) }));
  const touchedNames = [...removedNames.flatMap((r) => r.declared), ...added.flatMap(declaredNames)];
  const mentions = wordsPattern(removedNames.flatMap((r) => r.declared));
  for (const rule of unchanged) {
    const mentioned = mentionIn(rule, mentions);
    if (mentioned) return { scan: 'full', reason: `${rule.name} mentions ${mentioned}, which the change(s) touch` };
    const prefix = wildcardPrefixes(rule.source).find((p) => touchedNames.some((name) => name.startsWith(p)));
    if (prefix !== undefined) return { scan: 'full', reason: `${rule.name} refers to the rules ${prefix}*` };
  }

  const dropped = new Set(removedNames.flatMap(({ rule, declared }) => declared.map((name) => matchName(rule, name))));
  return { scan: 'delta', added, dropped };
}

/**
 * A rule that finds nothing: a scan with it costs what every scan of the file costs (reading it, one pass of the
 * pattern search), which a scan with the whole candidate ruleset pays once, not once per part. Its scans are
 * remembered like any other ruleset's: each file is timed with it once.
 */
export const SCAN_PASS_PROBE: ContentRule = ruleRevision(
  'Sigdesk_Scan_Pass',
  'rule Sigdesk_Scan_Pass { strings: $a = { 73 69 67 64 65 73 6B 00 FF 9E 21 C4 5D 0A 7B E3 } condition: $a }',
);

/**
 * The candidate's scan of a file from the parent's and the added rules': the parent's matches without the dropped
 * rules, then the added rules' matches. Its time is the parent's plus what the added rules cost beyond a scan's
 * fixed pass (the added rules' scan less the SCAN_PASS_PROBE's): an estimate of the whole candidate's, which leaves
 * out what the added rules share with the parent's (atoms) and so errs on the slow side.
 */
export function combineScans(
  parent: RawScan,
  added: { scan: RawScan; pass: RawScan } | null,
  dropped: ReadonlySet<string>,
): RawScan {
  const rules = parent.rules.filter((rule) => !dropped.has(rule));
  const offsets = Object.fromEntries(Object.entries(parent.offsets).filter(([rule]) => !dropped.has(rule)));
  for (const rule of added?.scan.rules ?? []) if (!rules.includes(rule)) rules.push(rule);
  for (const [rule, at] of Object.entries(added?.scan.offsets ?? {})) offsets[rule] ??= at;
  const beyondPass = (time: (scan: RawScan) => number) =>
    added ? Math.max(0, time(added.scan) - time(added.pass)) : 0;
  return {
    rules,
    offsets,
    millis: parent.millis + beyondPass((scan) => scan.millis),
    cpuMillis: parent.cpuMillis + beyondPass((scan) => scan.cpuMillis),
  };
}

/** Rules are told apart by namespace and name; null when one appears twice (such content does not compile). */
function byKey(rules: readonly Rule[]): Map<string, ContentRule> | null {
  const found = new Map<string, ContentRule>();
  for (const rule of rules) {
    if (found.has(keyOf(rule))) return null;
    found.set(keyOf(rule), rule);
  }
  return found;
}

const namespaceOf = (rule: Rule) => rule.namespace ?? '';
const keyOf = (rule: Rule) => `${namespaceOf(rule)}\n${rule.name}`;

/** How a scan names a rule: `namespace:name` for a rule of a source with a namespace. */
function matchName(rule: Rule, name: string): string {
  return rule.namespace ? `${rule.namespace}:${name}` : name;
}

/** The rules a source declares (a base ruleset's source may hold several), and the entry's own name. */
function declaredNames(rule: Rule): string[] {
  return [...new Set([rule.name, ...readRuleText(rule.source).declarations.map((d) => d.name)])];
}

function hasGlobalRule(source: string): boolean {
  // the lexical reading only for the few sources that have the word at all
  return /\bglobal\b/.test(source) && readRuleText(source).declarations.some((d) => d.modifiers.includes('global'));
}

/**
 * The prefixes of `Name*` rule sets outside comments, strings and regular expressions (and of `a*b` products);
 * `$a*`, a set of the rule's own patterns, is none.
 */
function wildcardPrefixes(source: string): string[] {
  if (!RULE_WILDCARD.test(source)) return [];
  return [...readRuleText(source).blanked.matchAll(new RegExp(RULE_WILDCARD, 'g'))].map((m) => m[1]);
}

const RULE_WILDCARD = /(?<![A-Za-z0-9_$#@!.])([A-Za-z_][A-Za-z0-9_]*)\*/;

/**
 * The first of the words the rule's source holds, but the names it declares itself (a rule of the same name in
 * another namespace, which no rule here can refer to).
 */
function mentionIn(rule: Rule, words: RegExp | null): string | null {
  if (!words) return null;
  let own: string[] | undefined;
  for (const [word] of rule.source.matchAll(words)) {
    own ??= declaredNames(rule);
    if (!own.includes(word)) return word;
  }
  return null;
}

/** Any of the words, not as part of a longer identifier; null for none. */
function wordsPattern(words: readonly string[]): RegExp | null {
  if (words.length === 0) return null;
  const escaped = [...new Set(words)].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![A-Za-z0-9_])(?:${escaped.join('|')})(?![A-Za-z0-9_])`, 'g');
}
