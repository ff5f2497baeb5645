import { Worker } from 'node:worker_threads';
import type { MatchedRule } from './compiled-ruleset';
import { ScanEngineError, ScanTimeoutError } from './scan-errors';

/**
 * The scan thread. In @litko/yara-x 0.3, `scanAsync` copies the buffer on the JavaScript thread when called (about
 * 0.5 ms per MiB here) and `scanFileAsync` reads the whole file on the libuv pool, but both then scan in the
 * promise's resolution, on the JavaScript thread: a 1 s scan stops the event loop for 1 s. They also ignore
 * `setMaxMatchesPerPattern`, so a sample full of a short pattern yields up to a million match objects per pattern,
 * built on the JavaScript thread too (2 million took 6 s). The synchronous `scan`/`scanFile` honour the limit; in a
 * worker thread they block only that thread. The rules are compiled there (the binding's compiled rules cannot
 * cross threads) and only the small evidence comes back.
 *
 * Plain JavaScript, evaluated as the worker's script so that it runs the same under jest, the swc require hook of
 * the benchmarks and the tsc build, none of which transpile a worker's file.
 */
const WORKER_SCRIPT = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const yarax = require(workerData.yaraPath);
let rules;
try {
  const started = performance.now();
  rules = yarax.compile(workerData.source, workerData.compilerOptions);
  rules.setMaxMatchesPerPattern(workerData.maxMatchesPerPattern);
  parentPort.postMessage({ type: 'ready', millis: performance.now() - started });
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: String((error && error.message) || error) });
}
parentPort.on('message', (job) => {
  const started = performance.now();
  try {
    const found =
      job.path !== undefined
        ? rules.scanFile(job.path)
        : rules.scan(Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength));
    const matches = found.map((rule) => ({
      rule: rule.ruleIdentifier,
      tags: rule.tags,
      meta: rule.meta,
      patterns: rule.matches.map((m) => ({ identifier: m.identifier, offset: m.offset, length: m.length })),
    }));
    parentPort.postMessage({ type: 'result', id: job.id, matches, millis: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ type: 'error', id: job.id, message: String((error && error.message) || error) });
  }
});
`;

export type ScanInput = { data: Uint8Array } | { path: string };

export interface WorkerScan {
  matches: MatchedRule[];
  /** time spent in YARA-X, in the scan thread */
  millis: number;
}

export interface ScanWorkerSettings {
  source: string;
  compilerOptions: object;
  maxMatchesPerPattern: number;
}

type WorkerMessage =
  | { type: 'ready'; millis: number }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; matches: MatchedRule[]; millis: number }
  | { type: 'error'; id: number; message: string };

interface Job {
  id: number;
  input: ScanInput;
  timeoutMs?: number;
  timer?: NodeJS.Timeout;
  /** the caller has its answer (the result, an error or a timeout) */
  settled: boolean;
  resolve(scan: WorkerScan): void;
  reject(error: Error): void;
}

/** One worker thread holding one compiled copy of the rules and scanning one input at a time, in order. */
export class ScanWorker {
  /** Resolves with the time YARA-X took to build the rules in the scan thread. */
  readonly built: Promise<number>;
  private readonly worker: Worker;
  private readonly queue: Job[] = [];
  private current?: Job;
  private nextId = 1;
  private state: 'building' | 'ready' | 'stopped' = 'building';
  private stopReason?: ScanEngineError;
  private crash = false;
  private settleBuilt!: { resolve(millis: number): void; reject(error: Error): void };

  constructor(settings: ScanWorkerSettings) {
    this.built = new Promise<number>((resolve, reject) => (this.settleBuilt = { resolve, reject }));
    // a build failure reaches callers through scans and `built`; it must not be an unhandled rejection meanwhile
    this.built.catch(() => undefined);
    this.worker = new Worker(WORKER_SCRIPT, {
      eval: true,
      // no -r hooks or inspector flags of the parent: the script is plain JavaScript
      execArgv: [],
      workerData: { ...settings, yaraPath: require.resolve('@litko/yara-x') },
    });
    this.updateRef();
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (error) =>
      this.stop(new ScanEngineError(`the scan thread failed: ${error.message}`), true),
    );
    this.worker.on('exit', (code) => this.stop(new ScanEngineError(`the scan thread exited with code ${code}`), true));
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  /** Stopped by a failure of the thread itself, not by a build error or close(): a new thread may do better. */
  get crashed(): boolean {
    return this.state === 'stopped' && this.crash;
  }

  /** Scans waiting or running, including one that timed out but still occupies the thread. */
  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  run(input: ScanInput, timeoutMs?: number): Promise<WorkerScan> {
    if (this.stopReason) return Promise.reject(this.stopReason);
    return new Promise<WorkerScan>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, timeoutMs, settled: false, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.stop(new ScanEngineError('the ruleset was closed'));
    await this.worker.terminate();
  }

  private dispatch(): void {
    if (this.state === 'ready' && !this.current && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      this.current = job;
      if (job.timeoutMs !== undefined) {
        job.timer = setTimeout(() => this.settle(job, new ScanTimeoutError(job.timeoutMs as number)), job.timeoutMs);
      }
      this.worker.postMessage({ id: job.id, ...job.input });
    }
    this.updateRef();
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.state = 'ready';
        this.settleBuilt.resolve(message.millis);
        break;
      case 'failed':
        this.stop(new ScanEngineError(`YARA-X could not build the rules: ${message.message}`));
        void this.worker.terminate();
        return;
      case 'result':
      case 'error': {
        const job = this.current;
        if (!job || job.id !== message.id) return;
        this.current = undefined;
        this.settle(job, message.type === 'result' ? message : new Error(message.message));
        break;
      }
    }
    this.dispatch();
  }

  private settle(job: Job, outcome: WorkerScan | Error): void {
    clearTimeout(job.timer);
    if (job.settled) return;
    job.settled = true;
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve({ matches: outcome.matches, millis: outcome.millis });
    this.updateRef();
  }

  private stop(reason: ScanEngineError, crash = false): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.crash = crash;
    this.state = 'stopped';
    this.settleBuilt.reject(reason);
    for (const job of [...(this.current ? [this.current] : []), ...this.queue.splice(0)]) this.settle(job, reason);
    this.current = undefined;
    this.updateRef();
  }

  /** The thread keeps the process alive while it builds (it was started for a reason) and while a caller waits. */
  private updateRef(): void {
    const waited =
      this.state === 'building' || this.queue.length > 0 || (this.current !== undefined && !this.current.settled);
    if (waited && !this.stopped) this.worker.ref();
    else this.worker.unref();
  }
}
