import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ScanEngineError } from './scan-errors';
import { ScanWorker } from './scan-worker';

export interface PatternMatch {
  /** `$name` of the pattern */
  identifier: string;
  offset: number;
  length: number;
}

export interface MatchedRule {
  rule: string;
  tags: string[];
  /**
   * The rule's meta values. @litko/yara-x 0.3 turns a boolean (`flag = true`) into the string "unknown"; strings,
   * integers and floats come through.
   */
  meta: Record<string, unknown>;
  /** at most `maxMatchesPerPattern` per pattern */
  patterns: PatternMatch[];
}

export interface ScanResult {
  /** the public rules that matched (private rules never appear) */
  matches: MatchedRule[];
  /** time spent in YARA-X */
  millis: number;
}

export interface ScanOptions {
  /**
   * How long YARA-X may spend on this scan, counted from when the scan thread starts it (not while it waits behind
   * other scans of the ruleset). On expiry the promise rejects with ScanTimeoutError; see there.
   */
  timeoutMs?: number;
}

export interface RulesetOptions {
  /** Matches kept per pattern: YARA-X stops recording a pattern after this many, so evidence stays small. */
  maxMatchesPerPattern?: number;
}

export const DEFAULT_MAX_MATCHES_PER_PATTERN = 100;

/** include statements would read files of the server: sources must be self-contained */
export const COMPILER_OPTIONS = { enableIncludes: false } as const;

/** Copied into the scan thread's memory this much at a time, the event loop turning in between (about 4 ms). */
const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

/** A ruleset dropped without close() must not leave its thread and compiled rules behind for good. */
const abandoned = new FinalizationRegistry<ScanWorker>((worker) => void worker.close());

/**
 * Rules compiled by YARA-X, ready to scan. Made by compileRuleset.
 *
 * Scans never run on the JavaScript thread: the rules are compiled once more in a worker thread of their own (see
 * scan-worker.ts for why the binding's async methods are not enough), which scans one input at a time. That build
 * starts with the first scan or `ready()` (call it early to have the rules ready when the first sample comes) and
 * takes five to six times as long as compileRuleset's check. Call `close()` when the ruleset is no longer used:
 * the thread holds the compiled rules.
 */
export class CompiledRuleset {
  readonly ruleCount: number;
  private worker?: ScanWorker;
  private closed = false;

  /**
   * @param source the combined source text, already validated by YARA-X
   * @param ruleNames the rules it declares, in order
   */
  constructor(
    readonly source: string,
    readonly ruleNames: readonly string[],
    private readonly options: RulesetOptions = {},
  ) {
    this.ruleCount = ruleNames.length;
  }

  /** Builds the rules for scanning if not done yet; resolves with the milliseconds YARA-X took. */
  async ready(): Promise<number> {
    return this.usableWorker().built;
  }

  /** Scans waiting or running, including a timed-out one that still occupies the scan thread. */
  get pendingScans(): number {
    return this.worker?.pending ?? 0;
  }

  /**
   * Scans bytes held in memory. They are copied into memory shared with the scan thread in slices (the event loop
   * turns between them), so the caller may reuse `data` as soon as the promise settles.
   */
  async scanBuffer(data: Buffer, opts: ScanOptions = {}): Promise<ScanResult> {
    const worker = this.usableWorker();
    const shared = new Uint8Array(new SharedArrayBuffer(data.byteLength));
    for (let offset = 0; offset < data.byteLength; offset += COPY_CHUNK_BYTES) {
      if (offset > 0) await nextTurn();
      shared.set(data.subarray(offset, offset + COPY_CHUNK_BYTES), offset);
    }
    return worker.run({ data: shared }, opts.timeoutMs);
  }

  /** Scans a file, read by the scan thread. */
  async scanFile(path: string, opts: ScanOptions = {}): Promise<ScanResult> {
    return this.usableWorker().run({ path: resolve(path) }, opts.timeoutMs);
  }

  /** Stops the scan thread; scans waiting or running reject with ScanEngineError, and so do later ones. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.worker) return;
    abandoned.unregister(this);
    await this.worker.close();
  }

  /** Starts the scan thread on first use, and again if it stopped unexpectedly (at the cost of a new build). */
  private usableWorker(): ScanWorker {
    if (this.closed) throw new ScanEngineError('the ruleset was closed');
    if (!this.worker || this.worker.crashed) {
      if (this.worker) abandoned.unregister(this);
      this.worker = new ScanWorker({
        source: this.source,
        compilerOptions: COMPILER_OPTIONS,
        maxMatchesPerPattern: this.options.maxMatchesPerPattern ?? DEFAULT_MAX_MATCHES_PER_PATTERN,
      });
      abandoned.register(this, this.worker, this);
    }
    return this.worker;
  }
}
