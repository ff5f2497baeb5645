import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '@sigdesk/config';
import {
  CompileOutcome,
  compileRuleset,
  openRuleset,
  ScanEngineError,
  YARA_X_VERSION,
  type RuleSource,
  type RulesetOptions,
} from '@sigdesk/detection';
import { ObjectCache, ObjectStore, StorageKeys } from '@sigdesk/storage';
import { CompiledRulesetsRepository } from './compiled-rulesets.repository';
import { ContentRule, rulesHash, toSources } from './signature-content';

interface Entry {
  outcome: Promise<CompiledOutcome>;
  users: number;
  lastUsed: number;
  /** a ruleset that did not compile is not kept: the next request compiles again */
  failed?: boolean;
  /** the compiled rules this process saved, removed with the entry */
  savedPath?: string;
  /** when its record was last marked used (Date.now()) */
  touchedAt: number;
  /** taken out of use (its record was swept): closed once its last user is done */
  retired?: boolean;
}

/** A compile's outcome, and whether its rules were compiled here or opened from a compile before. */
export type CompiledOutcome = CompileOutcome & {
  /** the rules were opened from their compiled form (stored by an earlier compile), not compiled here */
  opened?: boolean;
  /** the compiled form stored in the object store (StorageKeys.compiledRules), when there is one */
  compiled?: { sha256: string; size: number; engine: string };
};

/** Rulesets kept compiled while nobody uses them: the published and head content of a channel, say. */
const MAX_IDLE = 3;

/**
 * How often a ruleset kept open is marked used in its record: the sweep of idle compiled rulesets removes only
 * those unused for days (SIGDESK_COMPILED_RULESETS_IDLE_DAYS), so a mark this fresh keeps it.
 */
const TOUCH_EVERY_MS = 10 * 60_000;

/**
 * Compiles each distinct ruleset once: once per process (a validation, the build of the same content and triage
 * share one compiled ruleset and its engine), and once for all processes: the compiled form (YARA-X's serialised
 * rules) is stored in the object store under its SHA-256 and recorded with what the compile said
 * (compiled_rulesets), so that another worker, the API, or this one after a restart opens the rules instead of
 * compiling them again. Compiled rules are opened only with the SHA-256 recorded in PostgreSQL: bytes altered in the
 * object store or on disk are refused, and the rules are compiled from their source instead.
 *
 * Rulesets in use are never closed; idle ones beyond a few are, least recently used first. A ruleset kept open is
 * marked used in its record now and then (TOUCH_EVERY_MS), so that its record and compiled form stay while this
 * process uses them; when the record turns out swept (CompiledRulesetsSweeper), the ruleset is opened or compiled
 * again, which stores its compiled form again: what is shipped or opened elsewhere is never a removed object.
 */
@Injectable()
export class CompiledRulesets implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(CompiledRulesets.name);
  private readonly entries = new Map<string, Entry>();
  private readonly folder: string;
  private closing = false;
  /** how often a ruleset kept open is marked used (TOUCH_EVERY_MS; a test shortens it) */
  touchEveryMs = TOUCH_EVERY_MS;

  constructor(
    private readonly config: AppConfig,
    private readonly records: CompiledRulesetsRepository,
    private readonly store: ObjectStore,
    private readonly objects: ObjectCache,
  ) {
    this.folder = join(config.dataDir, 'compiled-rules');
  }

  /** How every ruleset here scans: on the configured threads of its engine. */
  get options(): RulesetOptions {
    return { scanThreads: this.config.builds.scanThreads };
  }

  /** Runs `work` with the compiled ruleset of `rules`, compiling it only if no compiled copy is at hand. */
  async use<T>(rules: readonly ContentRule[], work: (compiled: CompiledOutcome) => Promise<T>): Promise<T> {
    if (this.closing) throw new ScanEngineError('the process is shutting down');
    const key = rulesHash(rules);
    const known = this.entries.get(key);
    if (known && !(await this.stillRecorded(key, known))) this.retire(key, known);
    let entry = this.entries.get(key);
    if (!entry) {
      const created = { users: 0, lastUsed: Date.now(), touchedAt: Date.now() } as Entry;
      created.outcome = this.obtain(key, rules, created);
      entry = created;
      this.entries.set(key, created);
      created.outcome.then(
        (outcome) => {
          created.failed = !outcome.ok;
          this.logger.log(
            { rules: rules.length, ok: outcome.ok, millis: Math.round(outcome.millis), opened: !!outcome.opened },
            outcome.opened ? 'compiled ruleset opened' : 'ruleset compiled',
          );
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
      if (entry.retired && entry.users === 0) await this.close(entry);
      await this.evict();
    }
  }

  /**
   * Whether the record of a ruleset kept open is still there: marks it used (at most every TOUCH_EVERY_MS). A
   * ruleset that was not stored, or whose record cannot be read now, is kept as it is.
   */
  private async stillRecorded(key: string, entry: Entry): Promise<boolean> {
    if (entry.failed || Date.now() - entry.touchedAt < this.touchEveryMs) return true;
    const outcome = await entry.outcome.catch(() => undefined);
    if (!outcome?.compiled) return true;
    entry.touchedAt = Date.now();
    const { engine, sha256 } = outcome.compiled;
    try {
      return await this.records.touch(key, engine, sha256);
    } catch (error) {
      this.logger.warn({ err: error, rulesHash: key }, 'could not mark a compiled ruleset used');
      return true;
    }
  }

  /** Takes an entry whose record was swept out of use: closed now, or once its last user is done. */
  private retire(key: string, entry: Entry): void {
    // taken out already (evicted, or retired by another user): closed by whoever took it
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    entry.retired = true;
    this.logger.log({ rulesHash: key }, 'compiled ruleset swept from the store: opening or compiling it again');
    if (entry.users === 0) {
      this.close(entry).catch((error: unknown) =>
        this.logger.warn({ err: error, rulesHash: key }, 'closing a swept compiled ruleset failed'),
      );
    }
  }

  /** Opens the stored compiled form of the rules if there is one, else compiles them (and stores what it made). */
  private async obtain(key: string, rules: readonly ContentRule[], entry: Entry): Promise<CompiledOutcome> {
    const started = performance.now();
    const sources: RuleSource[] = toSources({ rules: [...rules], allowlist: [] });
    const record = await this.records.find(key, YARA_X_VERSION);
    if (record) {
      try {
        const path = await this.objects.localCopy(StorageKeys.compiledRules(record.sha256), record.sha256);
        const ruleset = await openRuleset(sources, record.ruleNames, { path, sha256: record.sha256 }, this.options);
        return {
          ok: true,
          errors: [],
          warnings: record.warnings,
          ruleset,
          ruleNames: record.ruleNames,
          millis: performance.now() - started,
          opened: true,
          compiled: { sha256: record.sha256, size: record.size, engine: YARA_X_VERSION },
        };
      } catch (error) {
        // the object is gone or altered: compile, and record the compiled form again
        this.logger.warn({ err: error, rulesHash: key }, 'stored compiled rules could not be opened: compiling');
        await this.records.forget(key, YARA_X_VERSION, record.sha256).catch(() => undefined);
      }
    }
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const saveTo = join(this.folder, `${key}-${process.pid}-${Date.now()}.yarc`);
    entry.savedPath = saveTo;
    const outcome: CompiledOutcome = await compileRuleset(sources, { ...this.options, saveTo });
    if (outcome.ok && outcome.saved) {
      const saved = outcome.saved;
      try {
        await this.store.putFile(StorageKeys.compiledRules(saved.sha256), saved.path, saved.bytes);
        await this.records.record({
          rulesHash: key,
          engine: YARA_X_VERSION,
          sha256: saved.sha256,
          size: saved.bytes,
          ruleNames: outcome.ruleNames,
          warnings: outcome.warnings,
          compileMillis: outcome.buildMillis ?? outcome.millis,
        });
        outcome.compiled = { sha256: saved.sha256, size: saved.bytes, engine: YARA_X_VERSION };
      } catch (error) {
        // the rules compiled and are in use here; other processes will compile them too
        this.logger.warn({ err: error, rulesHash: key }, 'compiled rules not stored');
      }
    } else {
      await rm(saveTo, { force: true });
    }
    return outcome;
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
    await Promise.all(all.map((entry) => this.close(entry)));
  }

  private async close(entry: Entry): Promise<void> {
    const outcome = await entry.outcome.catch(() => undefined);
    await outcome?.ruleset?.close();
    if (entry.savedPath) await rm(entry.savedPath, { force: true });
  }

  private async evict(): Promise<void> {
    for (const [key, entry] of this.entries) if (entry.users === 0 && entry.failed) this.entries.delete(key);
    const idle = [...this.entries].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => b.lastUsed - a.lastUsed);
    for (const [key, entry] of idle.slice(MAX_IDLE)) {
      this.entries.delete(key);
      await this.close(entry);
    }
  }
}
