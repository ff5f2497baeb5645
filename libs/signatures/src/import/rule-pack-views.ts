// a type-only import of a file without imports: the web app's program reads this file too, and knows no path aliases
import type { Diagnostic } from '../../../detection/src/diagnostic';

/**
 * A rule pack import and its quality report, as stored and as the API answers them, and what accepting it leaves out.
 * In a file of its own, importing types only, so that the web app takes them from here.
 */

/** Why a rule of a pack is flagged: an admin may accept a pack without its flagged rules. */
export type FlagReason = 'clean_corpus_hits' | 'slow';

export interface RuleReport {
  name: string;
  line: number;
  /** a private rule reports no match of its own: a helper of the file's other rules */
  private: boolean;
  /** clean-corpus files it matched, and the first of them */
  cleanHits: number;
  cleanFiles: string[];
  /** the compiler's warnings about the rule */
  warnings: string[];
  flagged: FlagReason[];
}

/**
 * Whether accepting a pack without its flagged rules leaves `rule` out as a detection (made private): a flagged rule
 * that detects. A private rule is a helper of its file's other rules and stays as it is.
 */
export function leftOutUnlessAll(rule: Pick<RuleReport, 'flagged' | 'private'>): boolean {
  return rule.flagged.length > 0 && !rule.private;
}

/** The quality report of one file of a pack. */
export interface FileReport {
  compiled: boolean;
  /** why it does not compile (the first errors): an unknown module, a syntax error, an undeclared identifier… */
  errors: Diagnostic[];
  warnings: Diagnostic[];
  rules: RuleReport[];
  /**
   * The profiling pass: processor time to scan the profiling sample of the clean corpus with this file's rules
   * alone, and its share of all files' times (the file's part of the pack's scan cost).
   */
  profile: { cpuMillis: number; share: number } | null;
}

export interface PackSummary {
  files: number;
  compiled: number;
  failed: number;
  rules: number;
  flaggedRules: number;
  rulesWithCleanHits: number;
  skipped: number;
  cleanCorpus: { files: number; bytes: number; filesHit: number; cpuMillis: number };
  profile: { files: number; bytes: number };
  /** YARA-X's builds of the files together (again without the files that do not compile) */
  compileMillis: number;
  millis: number;
}

export type RulePackImportStatus = 'analysing' | 'analysed' | 'failed' | 'accepted';

/** An entry of the pack that is not read as a rule file, and why (a link, an unsafe path, not UTF-8…). */
export interface SkippedEntry {
  path: string;
  reason: string;
}

/** An import as `GET /v1/admin/rulesets/imports` lists it. */
export interface RulePackImportView {
  id: string;
  channel: string;
  packName: string;
  fileName: string;
  format: 'yara' | 'zip' | 'tar.gz';
  bytes: number;
  sha256: string;
  status: RulePackImportStatus;
  /**
   * While analysing: `stage` (`compiling`, `profiling`, `clean corpus`) and its counts (`files`, and `done` or
   * `scanned` of them); null before the analysis starts
   */
  progress: Record<string, unknown> | null;
  /** once analysed */
  summary: PackSummary | null;
  /** why the analysis failed */
  error: string | null;
  skipped: SkippedEntry[];
  /** the signature change it became, once accepted */
  changeId: string | null;
  createdBy: string;
  createdAt: string;
}

/** A file of an import, with its report once analysed (the report's fields are absent before). */
export type RulePackFileView = {
  path: string;
  namespace: string;
  bytes: number;
  /** part of the accepted change */
  accepted: boolean;
} & Partial<FileReport>;

/** `GET /v1/admin/rulesets/imports/:id`: the import with its files' reports. */
/** A file of the pack in the channel's database that accepting an import would take out, and why. */
export interface RemovedPackFile {
  namespace: string;
  /** its path in the import it came from */
  path: string;
  reason: 'not_in_import' | 'does_not_compile';
}

/** The pack of the same name in the head version of the import's channel: what accepting the import replaces. */
export interface ReplacedPack {
  channel: string;
  version: number | null;
  /** its files there */
  files: number;
  removed: RemovedPackFile[];
}

export interface RulePackImportDetail extends RulePackImportView {
  /** once analysed, until accepted: null when the channel's database holds no pack of this name */
  replaces: ReplacedPack | null;
  files: RulePackFileView[];
}

/** `POST /v1/admin/rulesets/import`: the import, analysing, and how many rule files the pack holds. */
export interface CreatedRulePackImport extends RulePackImportView {
  files: number;
}
