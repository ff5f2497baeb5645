import { setImmediate as nextTurn } from 'node:timers/promises';
import { CombinedSource } from './combined-source';
import { CompiledRuleset, startEngine, type RulesetOptions } from './compiled-ruleset';
import type { BuildOutcome, CompiledFile, EngineReport, SavedRules } from './engine-process';
import { checkRuleStructure, checkSourceSize } from './rule-limits';
import type { Diagnostic } from './diagnostic';
import { lineStartsOf, readRuleText, type RuleDeclaration, type RuleTextReading } from './rule-text';
import { DEFAULT_NAMESPACE, namespaceOf, namespaceProblem, qualifiedRuleName, RuleUnits } from './rule-units';

export type { Diagnostic };

/**
 * The lexical checks take about 0.02 ms per rule, 0.6 s for 30,000 rules: the event loop turns between slices of
 * this length.
 */
const LEXICAL_SLICE_MS = 20;

/** One YARA rule (or a small file of rules); `name` identifies it in diagnostics. */
export interface RuleSource {
  name: string;
  source: string;
  /**
   * The YARA namespace its rules fall in; absent for YARA's `default` (which cannot be named). Sources of one
   * namespace are built as one text (in the order given): their rule names must differ, their `import`s and
   * private rules are shared; those of other namespaces are not. 1 to 200 letters, digits, `_`, `.`, `/` or `-`.
   */
  namespace?: string;
}

export interface CompileOutcome {
  ok: boolean;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** present when ok, its engine process holding the built rules: close() it when done with it */
  ruleset?: CompiledRuleset;
  /**
   * rule identifiers declared, in order: plain for rules of the default namespace, `namespace:name` for those of
   * a source with a namespace (private rules included)
   */
  ruleNames: string[];
  /** the whole compile: the checks here and YARA-X's build in the engine process */
  millis: number;
  /** YARA-X's build alone, in the engine process */
  buildMillis?: number;
  /** the compiled rules, saved where `saveTo` asked */
  saved?: SavedRules;
}

export interface CompileOptions extends RulesetOptions {
  /** a file to save the compiled rules to (see `openRuleset`), when they compile */
  saveTo?: string;
}

/**
 * The one text YARA-X builds from sources without namespaces: see compileRuleset. Sources with namespaces are built
 * as texts of their own, which no one text stands for.
 */
export function combinedText(sources: RuleSource[]): string {
  return new CombinedSource(sources).text;
}

/**
 * A ruleset from rules compiled and saved before (by compileRuleset with `saveTo`): its engine opens the file, after
 * checking its SHA-256, instead of compiling. Should the file be unusable (altered, unreadable, saved by another
 * YARA-X), the engine builds the rules from `sources` instead. Nothing is checked here: the rules were checked when
 * they were compiled, and the caller keeps what that compile said (their namespaces must be valid: it throws if not).
 */
export async function openRuleset(
  sources: RuleSource[],
  ruleNames: string[],
  compiled: CompiledFile,
  options: RulesetOptions = {},
): Promise<CompiledRuleset> {
  const ruleset = new CompiledRuleset(new RuleUnits(sources).engineSource, ruleNames, options, undefined, compiled);
  try {
    await ruleset.ready();
    return ruleset;
  } catch (error) {
    await ruleset.close();
    throw error;
  }
}

/**
 * Compiles the sources as one database: they are joined into one text (each preceded by a line break) that YARA-X
 * builds in one pass, whatever the number of rules, and each diagnostic is traced back to its source and line.
 *
 * Sources given a namespace are joined per namespace instead, and the texts of all namespaces built in one pass,
 * each in its namespace: the diagnostics are traced back through the text of their namespace (see RuleUnits). A
 * namespace that is not valid is an error (`invalid_namespace`) of its source.
 *
 * Sources must each be complete: a rule name declared twice in one namespace (in one source or two), a block
 * comment or a `{` left open at the end of a source are errors of their own, named after the source at fault,
 * because in the joined text they would otherwise be reported against (or silently swallow) the sources after it.
 *
 * The text reaches YARA-X only within the structure limits (rule-limits.ts): past them the errors come back without
 * an engine started. YARA-X then runs in a child process (engine-process.ts) that builds the rules once and keeps
 * them for the ruleset's scans. A process that dies during the build is replaced once; dying again, or taking
 * longer than `compileTimeoutMs`, makes an error of its own (`engine_crashed`, `engine_timeout`). Never throws for
 * the engine's sake.
 */
export async function compileRuleset(sources: RuleSource[], options: CompileOptions = {}): Promise<CompileOutcome> {
  const started = performance.now();
  const ruleNames: string[] = [];
  const own: Diagnostic[] = [];
  /** what keeps the sources from the engine: structure limits, namespaces */
  const beyondLimits: Diagnostic[] = [];
  /** by qualified name (see qualifiedRuleName) */
  const declaredIn = new Map<string, { source: string; line: number }>();
  const duplicates = new Set<string>();

  let sliceStarted = performance.now();
  for (const given of sources) {
    const { name, source } = given;
    if (performance.now() - sliceStarted > LEXICAL_SLICE_MS) {
      await nextTurn();
      sliceStarted = performance.now();
    }
    const badNamespace = namespaceProblem(given.namespace);
    if (badNamespace) {
      beyondLimits.push(invalidNamespace(given, badNamespace));
      continue;
    }
    const namespace = namespaceOf(given);
    // a namespaced source is a file of a pack, of many rules: its size is bounded as a file's, and each rule's as one
    // source's
    const namespaced = namespace !== DEFAULT_NAMESPACE;
    const tooLarge = checkSourceSize(source, namespaced ? { maxSourceBytes: MAX_FILE_SOURCE_BYTES } : {});
    if (tooLarge) {
      beyondLimits.push({ ...tooLarge, source: name });
      continue;
    }
    const reading = readRuleText(source);
    const tooLargeRule = namespaced ? largestRuleProblem(source, reading) : undefined;
    if (tooLargeRule) {
      beyondLimits.push({ ...tooLargeRule, source: name });
      continue;
    }
    for (const declaration of reading.declarations) {
      const qualified = qualifiedRuleName(namespace, declaration.name);
      ruleNames.push(qualified);
      const first = declaredIn.get(qualified);
      if (first) {
        duplicates.add(qualified);
        own.push(duplicateRule(declaration, name, first, namespace));
      } else {
        declaredIn.set(qualified, { source: name, line: declaration.line });
      }
    }
    own.push(...incompleteness(name, reading));
    beyondLimits.push(
      ...checkRuleStructure(source, namespaced ? { maxSourceBytes: MAX_FILE_SOURCE_BYTES } : {}, reading).map((d) => ({
        ...d,
        source: name,
      })),
    );
  }

  const order = new Map(sources.map(({ name }, index) => [name, index] as const).reverse());
  const byPlace = (a: Diagnostic, b: Diagnostic) =>
    (order.get(a.source ?? '') ?? -1) - (order.get(b.source ?? '') ?? -1) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0);
  const answer = (diagnostics: Diagnostic[], ruleset?: CompiledRuleset, built?: BuildOutcome): CompileOutcome => {
    const all = diagnostics.sort(byPlace);
    const errors = all.filter((d) => d.severity === 'error');
    const ok = errors.length === 0;
    return {
      ok,
      errors,
      warnings: all.filter((d) => d.severity === 'warning'),
      ...(ruleset && ok ? { ruleset } : {}),
      ruleNames,
      millis: performance.now() - started,
      ...(built?.kind === 'built' || built?.kind === 'rejected' ? { buildMillis: built.millis } : {}),
      ...(built?.kind === 'built' && built.saved && ok ? { saved: built.saved } : {}),
    };
  };
  if (beyondLimits.length > 0) return answer([...own, ...beyondLimits]);

  const units = new RuleUnits(sources);
  const from = { source: units.engineSource, saveTo: options.saveTo };
  let engine = startEngine(from, ruleNames.length, options);
  let outcome = await engine.built;
  const firstCrash = outcome.kind === 'crashed' ? outcome.detail : undefined;
  if (firstCrash !== undefined) {
    engine = startEngine(from, ruleNames.length, options);
    outcome = await engine.built;
  }
  if (outcome.kind === 'unusable') throw new Error('the rule engine was asked to open rules instead of building them');
  if (outcome.kind !== 'built' && outcome.kind !== 'rejected') {
    return answer([...own, engineFailure(outcome, firstCrash)]);
  }

  const reports: Array<{ severity: Diagnostic['severity']; report: EngineReport }> = [
    ...(outcome.kind === 'rejected' ? outcome.errors : []).map((report) => ({ severity: 'error' as const, report })),
    ...outcome.warnings.map((report) => ({ severity: 'warning' as const, report })),
  ];
  if (outcome.kind === 'rejected' && outcome.errors.length === 0) {
    // compile refused what validate accepted: its one error is all there is to say
    const code = /^Compilation error \(([^)]*)\)/.exec(outcome.failure)?.[1] ?? 'compile_failed';
    reports.unshift({ severity: 'error', report: { code, message: outcome.failure } });
  }
  const fromCompiler = reports.flatMap(({ severity, report }) => {
    const diagnostic = units.diagnose(severity, report);
    const unit = units.unitOf(report);
    if (diagnostic.code === 'E012' && unit) {
      const name = /duplicate rule `([^`]+)`/.exec(diagnostic.message)?.[1];
      if (name !== undefined && duplicates.has(qualifiedRuleName(unit.namespace, name))) return [];
      return [clarifyDuplicate(diagnostic, report.message, unit.combined)];
    }
    const said = own.some(
      (o) => o.source === diagnostic.source && o.line === diagnostic.line && o.column === diagnostic.column,
    );
    return said ? [] : [diagnostic];
  });

  const ok = outcome.kind === 'built' && !own.some((d) => d.severity === 'error');
  if (!ok) engine.kill();
  const saved = outcome.kind === 'built' ? outcome.saved : undefined;
  return answer(
    [...own, ...fromCompiler],
    ok ? new CompiledRuleset(from.source, ruleNames, options, engine, saved) : undefined,
    outcome,
  );
}

/** The engine died twice, or ran out of time: the ruleset is refused, with what is known of why. */
function engineFailure(
  outcome: Exclude<BuildOutcome, { kind: 'built' | 'rejected' }>,
  firstCrash?: string,
): Diagnostic {
  if (outcome.kind === 'timed_out') {
    return {
      severity: 'error',
      code: 'engine_timeout',
      message: `the rule engine did not compile this ruleset within ${duration(outcome.timeoutMs)}`,
      detail:
        `YARA-X was still compiling the rules after ${outcome.timeoutMs} ms and was stopped; ` +
        'a rule may be too large or too complex to compile',
    };
  }
  const second = outcome.kind === 'crashed' ? outcome.detail : 'the rule engine was stopped';
  return {
    severity: 'error',
    code: 'engine_crashed',
    message: 'the rule engine crashed on this ruleset',
    detail:
      firstCrash === undefined
        ? second
        : `${firstCrash}; then, in a fresh process: ${second}. A rule may be built to crash the engine`,
  };
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** A source that leaves a comment or a brace open would run into the sources after it in the combined text. */
function incompleteness(source: string, reading: RuleTextReading): Diagnostic[] {
  const found: Diagnostic[] = [];
  const complete = 'each source must be complete on its own';
  if (reading.unclosedComment) {
    const { line, column } = reading.unclosedComment;
    found.push({
      severity: 'error',
      code: 'unclosed_comment',
      message: 'comment not closed before the end of the source',
      detail: `the block comment opened at ${source}:${line}:${column} is not closed in that source; ${complete}`,
      source,
      line,
      column,
    });
  }
  if (reading.braceBalance !== 0) {
    const [more, fewer] = reading.braceBalance > 0 ? ['{', '}'] : ['}', '{'];
    const excess = `${Math.abs(reading.braceBalance)} more \`${more}\` than \`${fewer}\``;
    found.push({
      severity: 'error',
      code: 'unbalanced_braces',
      message: `${excess} in the source`,
      detail: `${source} has ${excess} outside comments, strings and regular expressions; ${complete}`,
      source,
    });
  }
  return found;
}

function duplicateRule(
  declaration: RuleDeclaration,
  source: string,
  first: { source: string; line: number },
  namespace: string,
) {
  const where = first.source === source ? `line ${first.line}` : `${first.source} (line ${first.line})`;
  const unique = namespace === DEFAULT_NAMESPACE ? 'across the database' : `within namespace \`${namespace}\``;
  return {
    severity: 'error' as const,
    code: 'duplicate_rule',
    message: `duplicate rule \`${declaration.name}\`: already declared in ${where}`,
    detail:
      `rule \`${declaration.name}\` is declared in ${first.source} at line ${first.line} and again in ${source} ` +
      `at line ${declaration.line}; rule names must be unique ${unique}`,
    source,
    line: declaration.line,
    column: declaration.column,
  };
}

function invalidNamespace(given: RuleSource, problem: string): Diagnostic {
  const shown = typeof given.namespace === 'string' ? JSON.stringify(given.namespace.slice(0, 200)) : 'this';
  return {
    severity: 'error',
    code: 'invalid_namespace',
    message: `invalid namespace ${shown}`,
    detail: `${given.name} asks for namespace ${shown}: ${problem}`,
    source: given.name,
  };
}

/** A duplicate YARA-X found and our reading missed: name the source of the first declaration too. */
function clarifyDuplicate(diagnostic: Diagnostic, compilerText: string, combined: CombinedSource): Diagnostic {
  const lines = compilerText.split('\n');
  const label = lines.findIndex((l) => l.includes('declared here for the first time'));
  const numbered = lines
    .slice(0, Math.max(label, 0))
    .reverse()
    .map((l) => /^\s*(\d+) \|/.exec(l))
    .find((m) => m !== null);
  const first = numbered ? combined.locate(Number(numbered[1])) : undefined;
  const name = /duplicate rule `([^`]+)`/.exec(diagnostic.message)?.[1] ?? '?';
  return {
    ...diagnostic,
    code: 'duplicate_rule',
    message: first
      ? `duplicate rule \`${name}\`: already declared in ${first.name === diagnostic.source ? `line ${first.line}` : `${first.name} (line ${first.line})`}`
      : diagnostic.message,
  };
}

/** A namespaced source (a file of a pack) may hold this much rule text: many rules, each within the limit of one. */
export const MAX_FILE_SOURCE_BYTES = 8 * 1024 * 1024;

/** The first rule of a file larger than one source may be (from its declaration to the next one's). */
function largestRuleProblem(source: string, reading: RuleTextReading): Diagnostic | undefined {
  const starts = lineStartsOf(source);
  const offsets = reading.declarations.map((d) => starts[d.line - 1] ?? 0);
  for (const [i, declaration] of reading.declarations.entries()) {
    const text = source.slice(offsets[i], offsets[i + 1] ?? source.length);
    const problem = checkSourceSize(text);
    if (problem) {
      return {
        ...problem,
        message: `rule ${declaration.name} is too large: ${problem.message}`,
        line: declaration.line,
        column: declaration.column,
      };
    }
  }
  return undefined;
}
