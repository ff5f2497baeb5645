/**
 * A scan took longer than its `timeoutMs`. YARA-X stops it by itself; when it does not (a native call it cannot
 * leave), the engine's process is killed, the promise rejects once the process is gone, and the ruleset's next scan
 * starts a fresh one.
 */
export class ScanTimeoutError extends Error {
  override readonly name = 'ScanTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`the scan did not finish within ${timeoutMs} ms`);
  }
}

/** The ruleset's engine could not build the rules, died, or the ruleset was closed. */
export class ScanEngineError extends Error {
  override readonly name = 'ScanEngineError';

  /**
   * @param crashed the engine's process died on its own (a native crash, its memory limit): the input or the rules
   *   may be hostile; another scan of the ruleset runs in a fresh process
   */
  constructor(
    message: string,
    readonly crashed = false,
  ) {
    super(message);
  }
}

/**
 * The engine's process was killed for another scan that ran beside this one (past its time limit): this scan is not
 * to blame, and runs again in a fresh process.
 */
export class ScanInterruptedError extends ScanEngineError {
  constructor() {
    super('the rule engine was stopped for another scan that ran past its time limit');
  }
}
