import { EngineProcess, type EngineSettings } from './engine-process';

export interface EnginePoolOptions {
  /** spare processes kept started; 0 for none (every build then starts its own process, as without a pool) */
  size: number;
  /** the spares' data limit (see EngineSettings); a build with another limit gets a process of its own */
  memoryLimitBytes: number | null;
}

/** A spare that dies unused is replaced after this, doubled for each one after it that also dies unused. */
const REPLACE_DELAY_MS = 100;
const MAX_REPLACE_DELAY_MS = 30_000;

/**
 * Engine processes started ahead of their rules, so that a build only pays for YARA-X's compile: starting node,
 * the watchdog thread and loading YARA-X (most of a one-rule check) is done while nobody waits.
 *
 * Each spare builds ONE ruleset and is never given another: it is the same isolated process as without a pool (the
 * same memory limit, set when it starts; the build timeout counted from when its rules are sent), it has seen no
 * rule text before its own, and whoever takes it kills it when done, as before. Nothing is started before the first
 * `engine()`; after each one the pool starts a replacement once that build has ended (so that the replacement does
 * not compete with it for a core). A spare that dies while waiting (killed, crashed) is replaced, later and later
 * if they keep dying. `close()` kills the spares; spares never keep the program alive on their own, and each one
 * kills itself when its parent goes away (the engine's watchdog).
 */
export class EnginePool {
  private readonly spares: EngineProcess[] = [];
  private started = false;
  private closed = false;
  private unusedDeaths = 0;
  private replaceTimer?: NodeJS.Timeout;

  constructor(private readonly options: EnginePoolOptions) {}

  /** An engine process building `settings`: a spare when one is at hand for their memory limit, else a new one. */
  engine(settings: EngineSettings): EngineProcess {
    let engine: EngineProcess | undefined;
    // spares run one scan at a time (a rule check's): a ruleset that scans on several threads gets its own process
    const fits = settings.memoryLimitBytes === this.options.memoryLimitBytes && (settings.scanThreads ?? 1) === 1;
    if (!this.closed && fits) {
      engine = this.spares.shift();
      engine?.build(settings);
    }
    engine ??= new EngineProcess(settings);
    this.started = true;
    void engine.built.then((outcome) => {
      // a process that answered shows that processes can start: a spare dying after it is replaced without delay
      if (outcome.kind === 'built' || outcome.kind === 'rejected') this.unusedDeaths = 0;
      this.fill();
    });
    return engine;
  }

  /** The spares' process ids (waiting for their rules). */
  get sparePids(): number[] {
    return this.spares.map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Kills the spares and waits until they are gone; later `engine()` calls get processes of their own. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.replaceTimer);
    const spares = this.spares.splice(0);
    for (const spare of spares) spare.kill();
    await Promise.all(spares.map((spare) => spare.gone));
  }

  private fill(): void {
    if (this.closed || !this.started || this.replaceTimer) return;
    while (this.spares.length < this.options.size) {
      const spare = EngineProcess.spare({ memoryLimitBytes: this.options.memoryLimitBytes });
      this.spares.push(spare);
      void spare.gone.then(() => this.lost(spare));
    }
  }

  /** A spare died before it was given rules (or after: then it is no longer ours and nothing is done). */
  private lost(spare: EngineProcess): void {
    const at = this.spares.indexOf(spare);
    if (at < 0) return;
    this.spares.splice(at, 1);
    if (this.closed) return;
    const delay = Math.min(MAX_REPLACE_DELAY_MS, REPLACE_DELAY_MS * 2 ** this.unusedDeaths);
    this.unusedDeaths += 1;
    clearTimeout(this.replaceTimer);
    this.replaceTimer = setTimeout(() => {
      this.replaceTimer = undefined;
      this.fill();
    }, delay);
    this.replaceTimer.unref();
  }
}
