import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { CompileOutcome, compileRuleset, ScanEngineError } from '@sigdesk/detection';
import { ContentRule, rulesHash } from './signature-content';

interface Entry {
  outcome: Promise<CompileOutcome>;
  users: number;
  lastUsed: number;
  /** a ruleset that did not compile is not kept: the next request compiles again */
  failed?: boolean;
}

/** Rulesets kept compiled while nobody uses them: the published and head content of a channel, say. */
const MAX_IDLE = 3;

/**
 * Compiles each distinct ruleset once per process: a validation, the build of the same content and triage share one
 * compiled ruleset (and its engine process) instead of compiling the same rules again. Rulesets in use are never
 * closed; idle ones beyond a few are, least recently used first.
 */
@Injectable()
export class CompiledRulesets implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(CompiledRulesets.name);
  private readonly entries = new Map<string, Entry>();
  private closing = false;

  /** Runs `work` with the compiled ruleset of `rules`, compiling it only if no compiled copy is at hand. */
  async use<T>(rules: readonly ContentRule[], work: (compiled: CompileOutcome) => Promise<T>): Promise<T> {
    if (this.closing) throw new ScanEngineError('the process is shutting down');
    const key = rulesHash(rules);
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry = {
        outcome: compileRuleset(rules.map((r) => ({ name: r.name, source: r.source }))),
        users: 0,
        lastUsed: Date.now(),
      };
      entry = created;
      this.entries.set(key, created);
      created.outcome.then(
        (outcome) => {
          created.failed = !outcome.ok;
          this.logger.log({ rules: rules.length, ok: outcome.ok, millis: outcome.millis }, 'ruleset compiled');
        },
        () => this.entries.delete(key),
      );
    }
    entry.users++;
    try {
      return await work(await entry.outcome);
    } finally {
      entry.users--;
      entry.lastUsed = Date.now();
      await this.evict();
    }
  }

  /**
   * Before the queue workers close (they wait for their running jobs): the engines stop at once, so that a scan in
   * progress (a slow rule may run up to the scan timeout) ends its job with a retryable error instead of holding the
   * shutdown. The job runs again elsewhere or after the restart.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.onApplicationShutdown();
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.outcome.catch(() => undefined))?.ruleset?.close()));
  }

  private async evict(): Promise<void> {
    for (const [key, entry] of this.entries) if (entry.users === 0 && entry.failed) this.entries.delete(key);
    const idle = [...this.entries].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => b.lastUsed - a.lastUsed);
    for (const [key, entry] of idle.slice(MAX_IDLE)) {
      this.entries.delete(key);
      const outcome = await entry.outcome.catch(() => undefined);
      await outcome?.ruleset?.close();
    }
  }
}
