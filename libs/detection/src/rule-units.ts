import { CombinedSource } from './combined-source';
import type { EngineReport, EngineSource } from './engine-process';
import type { Diagnostic, RuleSource } from './ruleset';

/** YARA's namespace for rules not given one. */
export const DEFAULT_NAMESPACE = 'default';

/** Letters, digits and `_ . / -`: a pack's file name fits, and the name stays safe in logs, keys and `ns:rule`. */
const NAMESPACE = /^[A-Za-z0-9_./-]{1,200}$/;

/** Why `namespace` cannot name a RuleSource's namespace, or undefined when it can (or is absent). */
export function namespaceProblem(namespace: unknown): string | undefined {
  if (namespace === undefined || namespace === null) return undefined;
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    return 'a namespace is 1 to 200 letters, digits, `_`, `.`, `/` or `-`';
  }
  if (namespace === DEFAULT_NAMESPACE) {
    return 'the default namespace is the one of sources given none: leave `namespace` out for it';
  }
  return undefined;
}

/** The namespace a source's rules fall in, `default` when it was given none. */
export function namespaceOf(source: RuleSource): string {
  return source.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * A rule's name as `ruleNames` lists it: plain in the default namespace, `namespace:name` in another (a rule name
 * cannot hold a `:`, nor can a namespace, so neither reads as the other).
 */
export function qualifiedRuleName(namespace: string, name: string): string {
  return namespace === DEFAULT_NAMESPACE ? name : `${namespace}:${name}`;
}

/** Locates no line: a diagnostic of no known unit keeps YARA-X's text. */
const UNPLACED = new CombinedSource([]);

/** One namespace's sources, joined into the one text YARA-X builds in that namespace. */
export interface RuleUnit {
  namespace: string;
  combined: CombinedSource;
}

/**
 * The sources as YARA-X builds them: those without a namespace joined into one text in the default namespace, those
 * with one joined per namespace (in the order given), each text a CombinedSource that leads its lines back to the
 * sources. Without namespaced sources the engine builds the one text, as it always did; with them, one unit per
 * namespace, built together in one pass (`addRuleSources`), each unit's `import`s and private rules its own.
 */
export class RuleUnits {
  readonly units: RuleUnit[];
  /** some source has a namespace of its own */
  readonly namespaced: boolean;

  /** The namespaces must be valid (see namespaceProblem). */
  constructor(sources: readonly RuleSource[]) {
    const byNamespace = new Map<string, RuleSource[]>([[DEFAULT_NAMESPACE, []]]);
    for (const source of sources) {
      const namespace = namespaceOf(source);
      const problem = namespaceProblem(source.namespace);
      if (problem) throw new Error(`${source.name}: ${problem}`);
      const unit = byNamespace.get(namespace);
      if (unit) unit.push(source);
      else byNamespace.set(namespace, [source]);
    }
    this.namespaced = byNamespace.size > 1;
    this.units = [...byNamespace]
      .filter(([namespace, unit]) => !this.namespaced || namespace !== DEFAULT_NAMESPACE || unit.length > 0)
      .map(([namespace, unit]) => ({ namespace, combined: new CombinedSource(unit) }));
  }

  /** What the engine builds: the one text when no source has a namespace, else the units. */
  get engineSource(): EngineSource {
    if (!this.namespaced) return this.units[0].combined.text;
    return this.units.map(({ namespace, combined }) => ({ namespace, source: combined.text }));
  }

  /**
   * The unit an engine report is about: the one text's when the engine built one; none when it built units and the
   * report does not say which (compile's own failure).
   */
  unitOf(report: EngineReport): RuleUnit | undefined {
    return this.namespaced ? this.units[report.unit ?? -1] : this.units[0];
  }

  /** An engine report as a diagnostic of the source and line it falls in (left as YARA-X said it, without a unit). */
  diagnose(severity: Diagnostic['severity'], report: EngineReport): Diagnostic {
    return (this.unitOf(report)?.combined ?? UNPLACED).diagnose(severity, report.code, report.message);
  }
}
