import type { ScanResult } from './compiled-ruleset';

export interface DetectionDecision {
  /** an enabled rule matched and the file is not allow-listed */
  detected: boolean;
  /** the file's SHA-256 is on the allow-list (whether or not a rule matched) */
  allowlisted: boolean;
  /** the enabled rules that matched, even when the allow-list overrides them: what would have fired */
  rules: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * A file is detected by database version N when an enabled rule of N matches it and its SHA-256 is not on N's
 * allow-list.
 *
 * @param sha256 the file's SHA-256 in hex (either case)
 * @param allowlist the version's allow-list: SHA-256 values in lower-case hex
 * @param enabledRules when given, only these rules count (disabled rules are normally simply not compiled in)
 */
export function decideDetection(
  sha256: string,
  result: ScanResult,
  allowlist: ReadonlySet<string>,
  enabledRules?: ReadonlySet<string>,
): DetectionDecision {
  const digest = sha256.toLowerCase();
  if (!SHA256.test(digest)) throw new RangeError(`not a SHA-256 in hex: "${sha256}"`);
  const rules = [...new Set(result.matches.map((m) => m.rule).filter((rule) => enabledRules?.has(rule) ?? true))];
  const allowlisted = allowlist.has(digest);
  return { detected: rules.length > 0 && !allowlisted, allowlisted, rules };
}
