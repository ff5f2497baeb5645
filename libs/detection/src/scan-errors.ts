/**
 * A scan took longer than its `timeoutMs`. YARA-X cannot be interrupted from JavaScript (@litko/yara-x 0.3 exposes
 * no scan timeout), so the native scan carries on in the ruleset's scan thread until it ends; later scans of the
 * same ruleset wait for it.
 */
export class ScanTimeoutError extends Error {
  override readonly name = 'ScanTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`the scan did not finish within ${timeoutMs} ms`);
  }
}

/** The ruleset's scan thread could not build the rules, stopped unexpectedly, or the ruleset was closed. */
export class ScanEngineError extends Error {
  override readonly name = 'ScanEngineError';
}
