import type { CompilerOptions } from './yara-x';
import { resolve } from 'node:path';
import {
  EngineProcess,
  type BuildOutcome,
  type CompiledFile,
  type EngineSettings,
  type EngineSource,
  type ScanInput,
  type ScanVariables,
} from './engine-process';
import type { EnginePool } from './engine-pool';
import { ScanEngineError, ScanInterruptedError } from './scan-errors';

export interface PatternMatch {
  /** `$name` of the pattern */
  identifier: string;
  offset: number;
  length: number;
}

export interface MatchedRule {
  rule: string;
  /** the YARA namespace of the rule (`default` unless its source was given one) */
  namespace?: string;
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
  /**
   * processor time the engine process spent on the scan (user and system): it does not count the time the engine
   * waits for a core, as `millis` does, so budgets compare it (it still grows somewhat on a loaded machine: shared
   * caches, clock speeds)
   */
  cpuMillis: number;
}

export interface ScanOptions {
  /**
   * How long YARA-X may spend on this scan, counted from when the engine starts it (not while it waits behind other
   * scans of the ruleset). On expiry the engine's process is killed and the promise rejects with ScanTimeoutError.
   */
  timeoutMs?: number;
  /** values of the rules' external variables for this scan */
  variables?: ScanVariables;
}

export interface RulesetOptions {
  /** Matches kept per pattern: YARA-X stops recording a pattern after this many, so evidence stays small. */
  maxMatchesPerPattern?: number;
  /**
   * How long the engine may take to build the rules, in compileRuleset and again whenever a fresh engine process is
   * needed; past it the process is killed. Default: compileTimeoutFor(the number of rules).
   */
  compileTimeoutMs?: number;
  /**
   * The engine process's data limit (RLIMIT_DATA: heap and anonymous memory, native allocations included), or null
   * for none. Default DEFAULT_ENGINE_MEMORY_BYTES.
   */
  memoryLimitBytes?: number | null;
  /**
   * Where the engine processes come from: spares started ahead (each still builds this ruleset alone and is never
   * reused for another), instead of a process started when it is needed.
   */
  engines?: EnginePool;
  /** scans run at once, over one compiled copy of the rules in the engine process (default 1) */
  scanThreads?: number;
}

export const DEFAULT_MAX_MATCHES_PER_PATTERN = 100;

/**
 * 10,000 real rules take about 520 MiB of data once built and 30,000 about 1.4 GiB (measured: VmData after the
 * build), a 256 MiB buffer scan adds its size; 4 GiB leaves room for both and stops a runaway build or scan well
 * before it takes the machine's memory.
 */
export const DEFAULT_ENGINE_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * The default build time limit: 30 s, plus 5 ms per rule. The build takes about 0.7 ms per rule alone on this
 * kind of machine (10,000 rules: 7 s) and up to twice that on a busy one; the 30 s cover the rules that are slow on
 * their own within the structure limits (10,000 patterns with `xor`: about 5 s).
 */
export function compileTimeoutFor(ruleCount: number): number {
  return 30_000 + 5 * ruleCount;
}

/**
 * The external variables every ruleset may use, as rule packs written for other scanners do (LOKI, THOR, YARA's
 * command line): declared empty when the rules are compiled, set for each scan from the file scanned.
 */
export const EXTERNAL_VARIABLES = { filename: '', filepath: '', extension: '', filetype: '', owner: '' } as const;

/** include statements would read files of the server: sources must be self-contained */
export const COMPILER_OPTIONS: CompilerOptions = { enableIncludes: false, defineVariables: { ...EXTERNAL_VARIABLES } };

/**
 * The external variables of a scan of a file: `filename` (the last part of its name), `filepath` (its whole name:
 * the path within its archive, say), `extension` (with its dot, in lower case: `.exe`), `filetype` (the type sigdesk
 * found, `pe` say) and `owner` (always empty: a sample's owner on the customer's machine is not known).
 */
export function scanVariables(file: { name?: string | null; type?: string | null }): ScanVariables {
  const filepath = file.name ?? '';
  const filename = filepath.split(/[\\/]/).pop() ?? '';
  const dot = filename.lastIndexOf('.');
  return {
    filename,
    filepath,
    extension: dot > 0 ? filename.slice(dot).toLowerCase() : '',
    filetype: file.type ?? '',
    owner: '',
  };
}

/** How the engine gets its rules: built from their source (and saved, if asked), or opened from a saved file. */
export type RulesFrom = { source: EngineSource; saveTo?: string } | { compiled: CompiledFile };

export function engineSettings(from: RulesFrom, ruleCount: number, options: RulesetOptions): EngineSettings {
  const common = {
    maxMatchesPerPattern: options.maxMatchesPerPattern ?? DEFAULT_MAX_MATCHES_PER_PATTERN,
    buildTimeoutMs: options.compileTimeoutMs ?? compileTimeoutFor(ruleCount),
    memoryLimitBytes: options.memoryLimitBytes === undefined ? DEFAULT_ENGINE_MEMORY_BYTES : options.memoryLimitBytes,
    scanThreads: options.scanThreads ?? 1,
  };
  return 'compiled' in from
    ? { ...common, compiled: from.compiled }
    : { ...common, source: from.source, compilerOptions: COMPILER_OPTIONS, saveTo: from.saveTo };
}

/** An engine process getting its rules `from` source or a saved file: a spare of `options.engines` when there is one. */
export function startEngine(from: RulesFrom, ruleCount: number, options: RulesetOptions): EngineProcess {
  const settings = engineSettings(from, ruleCount, options);
  return options.engines ? options.engines.engine(settings) : new EngineProcess(settings);
}

/** A scan interrupted for another one's sake runs again, this many times at most. */
const MAX_INTERRUPTIONS = 3;

/** A ruleset dropped without close() must not leave its engine process and compiled rules behind for good. */
const abandoned = new FinalizationRegistry<EngineProcess>((engine) => engine.kill());

interface QueuedScan {
  input: ScanInput;
  timeoutMs?: number;
  variables?: ScanVariables;
  interruptions: number;
  resolve(result: ScanResult): void;
  reject(error: Error): void;
}

/**
 * Rules compiled by YARA-X, ready to scan. Made by compileRuleset, or from rules compiled and saved before.
 *
 * The rules live in a child process of their own (see engine-process.ts), which runs up to `scanThreads` scans at
 * once over its one compiled copy; scans wait in order for a free thread. When that process is gone (a scan ran
 * past its time limit and was killed, or it crashed) the next scan, and those that were waiting, get a fresh
 * process, which opens the saved rules (or builds them again) first: they are not blamed for the input before them.
 * Call `close()` when the ruleset is no longer used: the process holds the compiled rules.
 */
export class CompiledRuleset {
  readonly ruleCount: number;
  private engine?: EngineProcess;
  private readonly queue: QueuedScan[] = [];
  /** the engine whose build pump() waits for */
  private awaitedBuild?: EngineProcess;
  /** YARA-X refused to build this text: it would refuse it again */
  private refusal?: ScanEngineError;
  private closed = false;

  /**
   * @param source the combined source text (or the units of namespaced sources), already validated by YARA-X
   * @param ruleNames the rules it declares, in order
   * @param engine a process that already holds these rules (compileRuleset's); without it, the first scan or
   *   `ready()` starts one
   */
  /**
   * @param saved the rules compiled and saved before: a fresh engine opens them rather than compile `source`
   */
  constructor(
    readonly source: EngineSource,
    readonly ruleNames: readonly string[],
    private readonly options: RulesetOptions = {},
    engine?: EngineProcess,
    private saved?: CompiledFile,
  ) {
    this.ruleCount = ruleNames.length;
    if (engine) this.adopt(engine);
  }

  /** Scans that may run at once. */
  get scanThreads(): number {
    return Math.max(1, Math.floor(this.options.scanThreads ?? 1));
  }

  /** Builds the rules if no engine holds them; resolves with the milliseconds YARA-X took to build them. */
  async ready(): Promise<number> {
    const engine = this.usableEngine();
    let outcome = await engine.built;
    if (outcome.kind === 'unusable') {
      this.dropUnusable(engine);
      outcome = await this.usableEngine().built;
    }
    if (outcome.kind === 'built') return outcome.millis;
    if (outcome.kind === 'unusable') throw new ScanEngineError(outcome.detail);
    throw this.buildFailure(outcome);
  }

  /** Scans waiting or running. */
  get pendingScans(): number {
    return this.queue.length + (this.engine?.scanning ?? 0);
  }

  /** The process id of the engine holding the rules, while there is one (for logs, and to watch it). */
  get enginePid(): number | undefined {
    return this.engine?.pid;
  }

  /**
   * Scans bytes held in memory. They are sent to the engine in slices (the event loop turns between them) when
   * the scan starts; the caller may reuse `data` as soon as the promise settles.
   */
  scanBuffer(data: Buffer, opts: ScanOptions = {}): Promise<ScanResult> {
    return this.enqueue({ data }, opts);
  }

  /** Scans a file, read by the engine. */
  scanFile(path: string, opts: ScanOptions = {}): Promise<ScanResult> {
    return this.enqueue({ path: resolve(path) }, opts);
  }

  /** Kills the engine; scans waiting or running reject with ScanEngineError, and so do later ones. */
  async close(): Promise<void> {
    this.closed = true;
    abandoned.unregister(this);
    for (const scan of this.queue.splice(0)) scan.reject(new ScanEngineError('the ruleset was closed'));
    const engine = this.engine;
    engine?.kill();
    await engine?.gone;
  }

  private enqueue(input: ScanInput, opts: ScanOptions): Promise<ScanResult> {
    if (this.closed) return Promise.reject(new ScanEngineError('the ruleset was closed'));
    if (this.refusal) return Promise.reject(this.refusal);
    return new Promise<ScanResult>((resolve, reject) => {
      this.queue.push({
        input,
        timeoutMs: opts.timeoutMs,
        variables: opts.variables,
        interruptions: 0,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Starts the next scan when the engine is free, first starting an engine (and waiting for its build) if needed. */
  private pump(): void {
    if (this.closed || this.refusal || this.queue.length === 0) return;
    const engine = this.usableEngine();
    if (engine.busy) return;
    if (!engine.ready) {
      if (this.awaitedBuild === engine) return;
      this.awaitedBuild = engine;
      void engine.built.then((outcome) => {
        if (this.awaitedBuild === engine) this.awaitedBuild = undefined;
        if (outcome.kind === 'unusable') {
          this.dropUnusable(engine);
        } else if (outcome.kind !== 'built') {
          const failure = this.buildFailure(outcome);
          for (const scan of this.queue.splice(0)) scan.reject(failure);
        }
        this.pump();
      });
      return;
    }
    while (!engine.busy && this.queue.length > 0) {
      const scan = this.queue.shift() as QueuedScan;
      engine
        .scan(scan.input, scan.timeoutMs, scan.variables)
        .then(scan.resolve, (error: unknown) => {
          if (error instanceof ScanInterruptedError && scan.interruptions < MAX_INTERRUPTIONS) {
            scan.interruptions += 1;
            this.queue.unshift(scan);
          } else {
            scan.reject(error as Error);
          }
        })
        .finally(() => this.pump());
    }
  }

  /** The engine holding the rules, a fresh one if there is none or it is gone. */
  private usableEngine(): EngineProcess {
    if (this.closed) throw new ScanEngineError('the ruleset was closed');
    if (this.refusal) throw this.refusal;
    if (!this.engine || this.engine.dead) {
      const from: RulesFrom = this.saved ? { compiled: this.saved } : { source: this.source };
      this.adopt(startEngine(from, this.ruleCount, this.options));
    }
    return this.engine as EngineProcess;
  }

  /** The saved rules cannot be opened: the next engine builds them from their source. */
  private dropUnusable(engine: EngineProcess): void {
    this.saved = undefined;
    engine.kill();
    if (this.engine === engine) this.engine = undefined;
  }

  private adopt(engine: EngineProcess): void {
    abandoned.unregister(this);
    this.engine = engine;
    abandoned.register(this, engine, this);
  }

  private buildFailure(outcome: Exclude<BuildOutcome, { kind: 'built' | 'unusable' }>): ScanEngineError {
    switch (outcome.kind) {
      case 'rejected':
        this.refusal = new ScanEngineError(`YARA-X could not build the rules: ${outcome.failure}`);
        return this.refusal;
      case 'crashed':
        return new ScanEngineError(`the rule engine crashed while building the rules: ${outcome.detail}`, true);
      case 'timed_out':
        return new ScanEngineError(`the rule engine did not build the rules within ${outcome.timeoutMs} ms`);
      case 'stopped':
        return new ScanEngineError('the ruleset was closed');
    }
  }
}
