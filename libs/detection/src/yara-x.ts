/**
 * YARA-X, as sigdesk loads it: the native binding of node-yara-x (`@litko/yara-x-linux-x64-gnu`), required directly.
 * Its wrapper package (`@litko/yara-x`) stopped at 0.3, whose binding cannot serialise compiled rules nor put sources
 * in namespaces; the binding alone went on (0.7). These are the parts of its API that sigdesk uses.
 *
 * Only the engine process (engine-script.ts) and the benchmarks load it: untrusted rules are never built here.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where the binding is: the engine process requires it by this path. */
export const YARA_X_PATH: string = require.resolve('@litko/yara-x-linux-x64-gnu');

/**
 * The binding's version: compiled rules saved by one version open only in the same one, so it is part of where
 * they are recorded.
 */
export const YARA_X_VERSION: string = (
  JSON.parse(readFileSync(join(dirname(YARA_X_PATH), 'package.json'), 'utf8')) as { version: string }
).version;

export interface CompilerOptions {
  /** the namespace of a source given to `compile` */
  namespace?: string;
  /** external variables and their default values: a rule may use them, and each scan may set them */
  defineVariables?: Record<string, string | number | boolean>;
  ignoreModules?: string[];
  relaxedReSyntax?: boolean;
  conditionOptimization?: boolean;
  errorOnSlowPattern?: boolean;
  errorOnSlowLoop?: boolean;
  maxWarnings?: number;
  disableWarnings?: string[];
  enableIncludes?: boolean;
}

export interface CompilerDiagnostic {
  code: string;
  message: string;
  source?: string;
  line?: number;
  column?: number;
}

export interface MatchData {
  offset: number;
  length: number;
  identifier: string;
}

export interface RuleMatch {
  ruleIdentifier: string;
  namespace: string;
  meta: Record<string, unknown>;
  tags: string[];
  matches: MatchData[];
}

export type ScanVariables = Record<string, string | number | boolean>;

export interface YaraX {
  getWarnings(): CompilerDiagnostic[];
  setMaxMatchesPerPattern(max: number): void;
  /** the compiled rules, which `deserialize` takes back (in this version of the binding: check them before) */
  serialize(): Buffer;
  scan(data: Buffer, variables?: ScanVariables): RuleMatch[];
  scanFile(path: string, variables?: ScanVariables): RuleMatch[];
  scanAsync(data: Buffer, variables?: ScanVariables): Promise<RuleMatch[]>;
  scanFileAsync(path: string, variables?: ScanVariables): Promise<RuleMatch[]>;
}

export interface YaraXBinding {
  compile(source: string, options?: CompilerOptions): YaraX;
  validate(source: string, options?: CompilerOptions): { errors: CompilerDiagnostic[]; warnings: CompilerDiagnostic[] };
  deserialize(data: Buffer): YaraX;
}

/** Loads the binding in this process (benchmarks and premise tests; the service never builds rules in its own). */
export function loadYaraX(): YaraXBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binding at a path resolved above
  return require(YARA_X_PATH) as YaraXBinding;
}
