// a type-only import of a file without imports: the web app's program reads this file too, and knows no path aliases
import type { Diagnostic } from '../../../detection/src/diagnostic';

/**
 * The report of a proof (a change's validation, a build's gates), as stored and as the API answers it. In a file of
 * its own, on types only, so that the web app takes its types from here.
 */
export type CheckName =
  'compiles' | 'no_new_warnings' | 'fixes_case' | 'clean_corpus' | 'regression' | 'scan_time_budget' | 'engine';

export interface Evidence {
  file: string;
  sha256: string;
  rules: Array<{ rule: string; offsets: number[] }>;
  allowlisted?: boolean;
}

export interface CheckResult {
  check: CheckName;
  passed: boolean;
  summary: string;
  evidence?: Evidence[];
  diagnostics?: Diagnostic[];
  figures?: Record<string, number>;
}

/** A file whose verdict differs between the parent version and the candidate. */
export interface DiffEntry {
  file: string;
  sha256: string;
  collection: 'case' | 'clean_corpus' | 'regression';
  before: { detected: boolean; rules: string[] };
  after: { detected: boolean; rules: string[] };
  /** the change meant it: a case's sample fixed, or a file the change suppresses explicitly */
  intended: boolean;
}

export interface ProofReport {
  passed: boolean;
  parentVersion: number | null;
  checks: CheckResult[];
  /** every file whose verdict changes, at most DIFF_LIMIT of them; `diffCount` says how many there were */
  diff: DiffEntry[];
  diffCount: number;
  /** the changes to blame when it failed */
  guilty: string[];
  rules: number;
  millis: number;
}
