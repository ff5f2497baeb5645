import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { MatchedRule } from './compiled-ruleset';
import { ENGINE_SCRIPT } from './engine-script';
import { YARA_X_PATH, type CompilerOptions } from './yara-x';
import { ScanEngineError, ScanInterruptedError, ScanTimeoutError } from './scan-errors';

export type ScanInput = { data: Uint8Array } | { path: string };

/** Values of the rules' external variables for one scan (the file's name, say). */
export type ScanVariables = Record<string, string | number | boolean>;

export interface EngineScan {
  matches: MatchedRule[];
  /** time spent in YARA-X, in the engine's process */
  millis: number;
  /** processor time of the engine's process during the scan */
  cpuMillis: number;
}

/** A YARA-X diagnostic as the engine reports it: its code and its full text. */
export interface EngineReport {
  code: string;
  message: string;
  /** the index of the SourceUnit it is about, when the rules were built from units (its line numbers are the unit's) */
  unit?: number;
}

/** A text YARA-X builds in a namespace of its own (`default` for YARA's default one). */
export interface SourceUnit {
  namespace: string;
  source: string;
}

/** What the engine builds: one text in the default namespace, or units in namespaces of their own. */
export type EngineSource = string | SourceUnit[];

/** Rules compiled before and saved (by a build with `saveTo`): the file and the SHA-256 its bytes must have. */
export interface CompiledFile {
  path: string;
  sha256: string;
}

/** The compiled rules a build saved: where, their SHA-256 and size, and how long serialising and writing took. */
export interface SavedRules extends CompiledFile {
  bytes: number;
  millis: number;
}

interface CommonSettings {
  maxMatchesPerPattern: number;
  /** the build (or the opening of compiled rules) is killed past this */
  buildTimeoutMs: number;
  /** the process's data segment limit (RLIMIT_DATA), or null for none */
  memoryLimitBytes: number | null;
  /** scans run at once over the one compiled copy (threads of the engine; default 1) */
  scanThreads?: number;
}

export type EngineSettings = CommonSettings &
  (
    | {
        /** the combined source text, or one per namespace */
        source: EngineSource;
        compilerOptions: CompilerOptions;
        /** where to save the compiled rules once built, for other processes to open instead of compiling */
        saveTo?: string;
      }
    | {
        /** rules compiled before: opened (their SHA-256 checked first) instead of compiled */
        compiled: CompiledFile;
      }
  );

/** What a process started ahead of its rules needs: its memory limit (see EngineSettings) and its threads. */
export type SpareSettings = Pick<CommonSettings, 'memoryLimitBytes' | 'scanThreads'>;

export type BuildOutcome =
  | { kind: 'built'; millis: number; warnings: EngineReport[]; saved?: SavedRules }
  /** compiled rules that cannot be used (altered, unreadable, or from another YARA-X): compile from source instead */
  | { kind: 'unusable'; detail: string }
  /** YARA-X refused the text: `errors` as validate lists them, `failure` as compile said it */
  | { kind: 'rejected'; millis: number; errors: EngineReport[]; warnings: EngineReport[]; failure: string }
  /** the process died before it answered: a signal, an exit, or it could not start */
  | { kind: 'crashed'; detail: string }
  | { kind: 'timed_out'; timeoutMs: number }
  /** kill() was called before the build ended */
  | { kind: 'stopped' };

type EngineMessage =
  | { type: 'built'; millis: number; warnings: EngineReport[]; saved?: SavedRules }
  | { type: 'unusable'; reason: string }
  | { type: 'timed-out'; id: number; message: string }
  | { type: 'rejected'; millis: number; errors: EngineReport[]; warnings: EngineReport[]; failure: string }
  | { type: 'result'; id: number; matches: MatchedRule[]; millis: number; cpuMillis: number }
  | { type: 'error'; id: number; message: string };

interface RunningScan {
  id: number;
  timeoutMs?: number;
  /** killed for its time: the process went for this scan */
  overran?: boolean;
  timer?: NodeJS.Timeout;
  resolve(scan: EngineScan): void;
  reject(error: Error): void;
}

/**
 * Slices of a buffer sent to the engine, one IPC message each: the event loop turns between them (about 5 ms
 * each), and with larger slices the transfer got slower, not faster.
 */
const CHUNK_BYTES = 1024 * 1024;
/**
 * YARA-X keeps time in whole seconds (a clock that ticks every second): a limit under a second is not given to it,
 * and the process is killed instead. A scan still running this long after its limit (half of the limit when that
 * is shorter) gets its process killed too.
 */
const NATIVE_TIMEOUT_MIN_MS = 1_000;
const TIMEOUT_GRACE_MS = 2_000;
/** What is kept of the engine's standard error, to say why it died. */
const STDERR_TAIL_CHARS = 2000;

/** Sets the child's limits before it execs node; found once, at a fixed place (the environment is not searched). */
export const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));
let warnedNoPrlimit = false;
const YARA_PATH = YARA_X_PATH;

/**
 * One child process running YARA-X on one ruleset: it builds the rules once, then scans one input at a time (it may
 * be started ahead of its rules, a spare: see `EngineProcess.spare` and EnginePool; it still gets one ruleset). It may
 * die (a native crash, the memory limit, kill()) without harm to this process: the build then ends `crashed`, a
 * running scan rejects with ScanEngineError (`crashed`), and no later scan is accepted. A scan past its timeout
 * kills the process: the scan rejects with ScanTimeoutError once the process is gone.
 *
 * Memory: RLIMIT_DATA (through prlimit, which execs node with the limit set) bounds what the process writes to:
 * the heap, anonymous mappings, and so native allocations too (YARA-X aborts on a failed allocation: a crash).
 * RLIMIT_AS is not workable: node with YARA-X loaded holds 1.2 GiB of address space before building anything, and
 * 30,000 built rules 3.1 GiB of address space for 1.3 GiB of data, the rest reservations of V8 and wasmtime that
 * are never touched; a 1 GiB address-space limit already failed a 256 MiB buffer. Such a limit would track their
 * internals, not the memory used.
 */
export class EngineProcess {
  /** Resolves once the build ends, however it ends; never rejects. */
  readonly built: Promise<BuildOutcome>;
  /** Resolves once the process is gone. */
  readonly gone: Promise<void>;
  private readonly child: ChildProcess;
  private state: 'spare' | 'building' | 'ready' | 'dead' = 'spare';
  private settings?: EngineSettings;
  private readonly memoryLimitBytes: number | null;
  private readonly threads: number;
  private readonly running = new Map<number, RunningScan>();
  private nextId = 1;
  private killedFor?: 'timeout' | 'stop';
  private stderrTail = '';
  private buildTimer?: NodeJS.Timeout;
  private settleBuild!: (outcome: BuildOutcome) => void;
  private settleGone!: () => void;

  /**
   * Starts a process: with EngineSettings it builds their source at once; with SpareSettings alone it is a spare
   * (see `EngineProcess.spare`).
   */
  constructor(settings: EngineSettings | SpareSettings) {
    this.built = new Promise<BuildOutcome>((resolve) => (this.settleBuild = resolve));
    this.gone = new Promise<void>((resolve) => (this.settleGone = resolve));
    const limit = settings.memoryLimitBytes;
    this.memoryLimitBytes = limit;
    this.threads = Math.max(1, Math.floor(settings.scanThreads ?? 1));
    if (limit !== null && !PRLIMIT && !warnedNoPrlimit) {
      warnedNoPrlimit = true;
      process.emitWarning('prlimit was not found: the YARA-X engine processes run without a memory limit');
    }
    const [command, ...args] =
      limit !== null && PRLIMIT
        ? [PRLIMIT, `--data=${limit}:${limit}`, '--', process.execPath, '-e', ENGINE_SCRIPT]
        : [process.execPath, '-e', ENGINE_SCRIPT];
    this.child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // structured clone: buffers cross as bytes, not as JSON arrays of numbers
      serialization: 'advanced',
      // the engine reads untrusted text: it gets none of this process's secrets, nor its NODE_OPTIONS hooks; its
      // scans run on libuv's threads, as many as it may run at once
      env: { UV_THREADPOOL_SIZE: String(this.threads) },
    });
    this.child.on('message', (message: EngineMessage) => this.receive(message));
    // 'close' rather than 'exit': the standard error is read to its end by then, the process's last words with it
    this.child.on('close', (code, signal) => this.exited(describeExit(this.child.pid, code, signal)));
    this.child.on('error', (error) => this.exited(`the rule engine could not be run: ${error.message}`));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    this.child.stderr?.on('error', () => undefined);
    if ('buildTimeoutMs' in settings) this.build(settings);
    else void this.send({ type: 'load', yaraPath: YARA_PATH });
    this.updateRef();
  }

  /**
   * A process started ahead of its rules, with its memory limit: node and YARA-X are loaded while it waits, and
   * `build()` gives it its rules, once. A spare that nobody waits for does not keep this process alive.
   */
  static spare(settings: SpareSettings): EngineProcess {
    return new EngineProcess(settings);
  }

  /** Not given its rules yet (a spare): `build()` may be called. */
  get spare(): boolean {
    return this.state === 'spare';
  }

  /**
   * Gives a spare its rules: the build starts now, its timeout counted from now. Only once, only on a spare of the
   * same memory limit (the limit is set when the process starts).
   */
  build(settings: EngineSettings): void {
    if (this.state !== 'spare' || this.settings) throw new Error('the rule engine has its rules already');
    if (settings.memoryLimitBytes !== this.memoryLimitBytes) {
      throw new Error('the rule engine was started with another memory limit');
    }
    if (Math.max(1, Math.floor(settings.scanThreads ?? 1)) !== this.threads) {
      throw new Error('the rule engine was started with another number of scan threads');
    }
    this.settings = settings;
    this.state = 'building';
    this.buildTimer = setTimeout(() => this.kill('timeout'), settings.buildTimeoutMs);
    const common = { yaraPath: YARA_PATH, maxMatchesPerPattern: settings.maxMatchesPerPattern };
    void this.send(
      'compiled' in settings
        ? { type: 'open', ...common, path: settings.compiled.path, sha256: settings.compiled.sha256 }
        : {
            type: 'build',
            ...common,
            source: settings.source,
            compilerOptions: settings.compilerOptions,
            saveTo: settings.saveTo,
          },
    );
    this.updateRef();
  }

  /** Scans it may run at once. */
  get scanThreads(): number {
    return this.threads;
  }

  /** Scans running. */
  get scanning(): number {
    return this.running.size;
  }

  /** The engine's process id, while it has one. */
  get pid(): number | undefined {
    return this.state === 'dead' ? undefined : this.child.pid;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get dead(): boolean {
    return this.state === 'dead';
  }

  /** As many scans run as it may run at once. */
  get busy(): boolean {
    return this.running.size >= this.threads;
  }

  /**
   * Scans one input; the engine must be ready and not busy. The timeout counts from now: YARA-X ends the scan at
   * its limit (ScanTimeoutError, the process goes on); one that runs on `TIMEOUT_GRACE_MS` past it has its process
   * killed, and the scans that ran beside it reject with ScanInterruptedError.
   */
  scan(input: ScanInput, timeoutMs?: number, variables?: ScanVariables): Promise<EngineScan> {
    if (this.state !== 'ready' || this.busy) {
      return Promise.reject(new ScanEngineError('the rule engine is not ready for a scan', this.state === 'dead'));
    }
    return new Promise<EngineScan>((resolve, reject) => {
      const scan: RunningScan = { id: this.nextId++, timeoutMs, resolve, reject };
      this.running.set(scan.id, scan);
      if (timeoutMs !== undefined) {
        scan.timer = setTimeout(
          () => {
            scan.overran = true;
            this.kill('timeout');
          },
          timeoutMs + Math.min(TIMEOUT_GRACE_MS, timeoutMs / 2),
        );
      }
      this.updateRef();
      const limit =
        timeoutMs !== undefined && timeoutMs >= NATIVE_TIMEOUT_MIN_MS
          ? { timeoutMs: Math.ceil(timeoutMs / 1000) * 1000 }
          : {};
      if ('path' in input) void this.send({ type: 'scan-file', id: scan.id, path: input.path, variables, ...limit });
      else void this.sendBuffer(scan.id, input.data, variables, limit.timeoutMs);
    });
  }

  /** Kills the process (SIGKILL): a build in progress ends `stopped`, a running scan rejects. */
  kill(reason: 'timeout' | 'stop' = 'stop'): void {
    if (this.state === 'dead' || this.killedFor) return;
    this.killedFor = reason;
    this.child.kill('SIGKILL');
    this.updateRef();
  }

  private async sendBuffer(
    id: number,
    data: Uint8Array,
    variables: ScanVariables | undefined,
    timeoutMs: number | undefined,
  ): Promise<void> {
    await this.send({ type: 'scan-buffer', id, bytes: data.byteLength, variables, timeoutMs });
    for (let offset = 0; offset < data.byteLength; offset += CHUNK_BYTES) {
      if (!this.running.has(id)) return;
      await this.send({ type: 'chunk', id, data: data.subarray(offset, offset + CHUNK_BYTES) });
    }
  }

  /** Resolves once the message is handed to the channel (or could not be: the exit handler says why). */
  private send(message: object): Promise<void> {
    return new Promise((resolve) => {
      if (!this.child.connected) return resolve();
      this.child.send(message, () => resolve());
    });
  }

  private receive(message: EngineMessage): void {
    switch (message.type) {
      case 'built':
        clearTimeout(this.buildTimer);
        this.state = 'ready';
        this.settleBuild({
          kind: 'built',
          millis: message.millis,
          warnings: message.warnings,
          ...(message.saved ? { saved: message.saved } : {}),
        });
        break;
      case 'unusable':
        this.settleBuild({ kind: 'unusable', detail: message.reason });
        this.kill();
        break;
      case 'rejected': {
        const { millis, errors, warnings, failure } = message;
        this.settleBuild({ kind: 'rejected', millis, errors, warnings, failure });
        this.kill();
        break;
      }
      case 'result':
      case 'timed-out':
      case 'error': {
        const scan = this.running.get(message.id);
        if (!scan) return;
        clearTimeout(scan.timer);
        this.running.delete(message.id);
        if (message.type === 'result')
          scan.resolve({ matches: message.matches, millis: message.millis, cpuMillis: message.cpuMillis });
        else if (message.type === 'timed-out') scan.reject(new ScanTimeoutError(scan.timeoutMs ?? 0));
        else scan.reject(new Error(message.message));
        break;
      }
    }
    this.updateRef();
  }

  /** The process is gone (or never started): whatever waited for it gets its answer now. */
  private exited(how: string): void {
    if (this.state === 'dead') return;
    // a spare that dies has its build end too: nobody waits for it, but `built` settles however the process ends
    const building = this.state === 'building' || this.state === 'spare';
    this.state = 'dead';
    clearTimeout(this.buildTimer);
    // Rust's advice to set RUST_BACKTRACE is not for the reader of a diagnostic
    const said = this.stderrTail.replace(/^note: run with `RUST_BACKTRACE=1`.*$/gm, '').trim();
    const limit = this.memoryLimitBytes;
    const outOfMemory = limit !== null && PRLIMIT && /memory allocation of \d+ bytes failed|out of memory/i.test(said);
    const detail =
      (said ? `${how}; its last words: ${said}` : how) +
      (outOfMemory ? ` (it has a memory limit of ${Math.round(limit / 1024 / 1024)} MiB)` : '');
    if (building) {
      this.settleBuild(
        this.killedFor === 'timeout' && this.settings
          ? { kind: 'timed_out', timeoutMs: this.settings.buildTimeoutMs }
          : this.killedFor === 'stop'
            ? { kind: 'stopped' }
            : { kind: 'crashed', detail },
      );
    }
    const scans = [...this.running.values()];
    this.running.clear();
    for (const scan of scans) {
      clearTimeout(scan.timer);
      if (this.killedFor === 'timeout' && scan.overran) scan.reject(new ScanTimeoutError(scan.timeoutMs ?? 0));
      else if (this.killedFor === 'timeout') scan.reject(new ScanInterruptedError());
      else if (this.killedFor === 'stop') scan.reject(new ScanEngineError('the ruleset was closed'));
      else scan.reject(new ScanEngineError(`the rule engine crashed during the scan: ${detail}`, true));
    }
    this.updateRef();
    this.settleGone();
  }

  /**
   * The process keeps this one alive only while someone may wait for it (a build, a scan, its end after kill()): an
   * idle ruleset must not stop a program from ending.
   */
  private updateRef(): void {
    const waited =
      this.state !== 'dead' && (this.state === 'building' || this.running.size > 0 || this.killedFor !== undefined);
    const handles = [this.child, this.child.channel, this.child.stderr as Socket | null];
    for (const handle of handles) {
      if (waited) handle?.ref();
      else handle?.unref();
    }
  }
}

function describeExit(pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): string {
  return signal
    ? `the rule engine (pid ${pid}) was killed by ${signal}`
    : `the rule engine (pid ${pid}) exited with code ${code}`;
}
