import { createHash } from 'node:crypto';
import type { AllowlistEntry, RuleProvenance, SignatureChange } from '@sigdesk/db';
import type { RuleSource } from '@sigdesk/detection';

export type { AllowlistEntry, RuleProvenance };

/**
 * One entry of a database version: a revision, stored once under the SHA-256 of its source. An analyst's rule is
 * named after the rule and compiled in the default namespace with the others; a file of an imported pack is named
 * after its namespace (`pack/path`, never a rule identifier) and compiled alone in it, its rules, `import`s and
 * private helpers staying within it.
 */
export interface ContentRule {
  name: string;
  source: string;
  sha256: string;
  /** the case it was written for, if any */
  caseId: string | null;
  changeId: string | null;
  /** the YARA namespace of an imported pack file; null: the default namespace */
  namespace: string | null;
  /** the pack, file and import an imported file came from */
  provenance: RuleProvenance | null;
}

/** A file of a rule pack as accepted from an import: the content of an `import_rules` change. */
export interface PackSource {
  namespace: string;
  path: string;
  source: string;
  provenance: RuleProvenance;
}

/** What a database version holds: its rules (in the order of their names) and its allow-list. */
export interface SignatureContent {
  rules: ContentRule[];
  allowlist: AllowlistEntry[];
}

/** The content of one version of a channel; `version` is null for the base ruleset of a channel with no build yet. */
export interface VersionedContent {
  channel: string;
  version: number | null;
  content: SignatureContent;
}

export type ContentChange = Pick<
  SignatureChange,
  'id' | 'case_id' | 'type' | 'rule_name' | 'rule_source' | 'sha256' | 'target_rule' | 'reason' | 'expires_at'
> & {
  /** an `import_rules` change's files (see SignaturesRepository.withSources) */
  sources?: readonly PackSource[];
  /**
   * an `import_rules` change's scan cost as its import's analysis measured it (processor time over the clean corpus,
   * all its compiling files): the scan-time budget allows for it, since bringing a pack's cost is the change's point
   */
  packCostMs?: number;
};

export const sha256Of = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Ordinal order of names, the same as PostgreSQL's `COLLATE "C"`: the content's order never depends on a locale. */
export const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function ruleRevision(
  name: string,
  source: string,
  origin: { caseId?: string | null; changeId?: string | null } = {},
): ContentRule {
  return {
    name,
    source,
    sha256: sha256Of(source),
    caseId: origin.caseId ?? null,
    changeId: origin.changeId ?? null,
    namespace: null,
    provenance: null,
  };
}

/**
 * An imported pack file as an entry of the content: named after its namespace, and its SHA-256 taken over the
 * namespace too (the same text in two namespaces is two rulesets; rule text holds no NUL).
 */
export function packRevision(file: PackSource, changeId: string | null): ContentRule {
  return {
    name: file.namespace,
    source: file.source,
    sha256: sha256Of(`\0${file.namespace}\0${file.source}`),
    caseId: null,
    changeId,
    namespace: file.namespace,
    provenance: file.provenance,
  };
}

/** Identifies a ruleset: equal for equal rules, whatever the allow-list. Compiled rulesets are cached under it. */
export function rulesHash(rules: readonly ContentRule[]): string {
  return sha256Of(
    [...rules]
      .sort(byName)
      .map((r) => r.sha256)
      .join('\n'),
  );
}

/** The allow-list in force at `now`: an entry past its expiry no longer suppresses anything. */
export function activeAllowlist(content: SignatureContent, now: Date): Set<string> {
  return new Set(
    content.allowlist.filter((e) => e.expiresAt === null || new Date(e.expiresAt) > now).map((e) => e.sha256),
  );
}

export function toSources(content: SignatureContent): RuleSource[] {
  return content.rules.map((r) =>
    r.namespace === null
      ? { name: r.name, source: r.source }
      : { name: r.name, source: r.source, namespace: r.namespace },
  );
}

/**
 * The content with changes applied in order, as a build applies them: `add_detection` adds its rule;
 * `suppress_detection` adds an allow-list entry, or removes its target rule (and adds the replacement, if any).
 * A rule name added twice stays twice, so that the compiler reports the duplicate against the change.
 * `import_rules` replaces its pack: every file the content had from a pack of that name goes (a file a new version of
 * the pack no longer has, or that does not compile in it, with the others), and the change's files come in.
 */
export function applyChanges(base: SignatureContent, changes: readonly ContentChange[]): SignatureContent {
  let rules = [...base.rules];
  const allowlist = new Map(base.allowlist.map((e) => [e.sha256, e]));
  for (const change of changes) {
    if (change.type === 'suppress_detection') {
      if (change.sha256) {
        allowlist.set(change.sha256, {
          sha256: change.sha256,
          expiresAt: change.expires_at?.toISOString() ?? null,
          changeId: change.id,
          caseId: change.case_id,
          reason: change.reason ?? 'false positive',
        });
      }
      if (change.target_rule) rules = rules.filter((r) => r.name !== change.target_rule);
    }
    if (change.type === 'import_rules') {
      if (!change.sources) throw new Error(`the files of import change ${change.id} were not read`);
      const packs = new Set(change.sources.map((f) => f.provenance.pack));
      const namespaces = new Set(change.sources.map((f) => f.namespace));
      rules = rules.filter(
        (r) => r.namespace === null || !(namespaces.has(r.namespace) || (r.provenance && packs.has(r.provenance.pack))),
      );
      rules.push(...change.sources.map((f) => packRevision(f, change.id)));
    }
    if (change.rule_name && change.rule_source) {
      rules.push(ruleRevision(change.rule_name, change.rule_source, { caseId: change.case_id, changeId: change.id }));
    }
  }
  return {
    rules: rules.sort(byName),
    allowlist: [...allowlist.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
  };
}

/** The files the changes stop detecting by name: their allow-listed SHA-256s. */
export function allowlistedBy(changes: readonly ContentChange[]): Set<string> {
  return new Set(changes.flatMap((c) => (c.sha256 ? [c.sha256] : [])));
}
