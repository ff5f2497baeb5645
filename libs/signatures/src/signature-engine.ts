import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { CompiledRuleset, compileRuleset, CompileOutcome, RuleSource } from '@sigdesk/detection';
import type { Rule } from '@sigdesk/db';
import { ObjectStore } from '@sigdesk/storage';
import { SignaturesRepository } from './signatures.repository';

export interface SignatureState {
  rules: Rule[];
  allowlist: Set<string>;
  compiled: CompileOutcome;
}

/**
 * The current signature content, compiled once per change of the rules or the allow-list, and the local,
 * content-addressed copies of the files scans read (samples and clean-corpus files, fetched from S3 once).
 */
@Injectable()
export class SignatureEngine implements OnApplicationShutdown {
  private readonly logger = new Logger(SignatureEngine.name);
  private cached?: { fingerprint: string; state: Promise<SignatureState> };
  private readonly cacheDir = join(tmpdir(), 'sigdesk-object-cache');

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly store: ObjectStore,
  ) {}

  /**
   * A replaced state's ruleset is not closed here: a validation or build may still be scanning with it. It is
   * closed when garbage-collected (the detection library registers that), and the current one on shutdown.
   */
  async onApplicationShutdown(): Promise<void> {
    const state = await this.cached?.state.catch(() => undefined);
    await state?.compiled.ruleset?.close();
  }

  async current(now = new Date()): Promise<SignatureState> {
    const fingerprint = await this.signatures.stateFingerprint();
    if (this.cached?.fingerprint !== fingerprint) {
      const state = this.load(now);
      this.cached = { fingerprint, state };
      state.catch(() => (this.cached = undefined));
    }
    return this.cached.state;
  }

  private async load(now: Date): Promise<SignatureState> {
    const [rules, allowlist] = await Promise.all([this.signatures.enabledRules(), this.signatures.allowlist(now)]);
    const compiled = await compileRuleset(rules.map(toSource));
    if (!compiled.ok) {
      this.logger.error({ errors: compiled.errors.slice(0, 5) }, 'the current ruleset does not compile');
    }
    this.logger.log({ rules: rules.length, millis: compiled.millis }, 'ruleset compiled');
    return { rules, allowlist, compiled };
  }

  /** A local file with the object's bytes, downloaded once and kept under its SHA-256. */
  async localCopy(storageKey: string, sha256: string): Promise<string> {
    const path = join(this.cacheDir, sha256);
    try {
      await stat(path);
      return path;
    } catch {
      // not cached yet
    }
    await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    const partial = join(this.cacheDir, `.${randomUUID()}`);
    await pipeline(await this.store.getStream(storageKey), createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, path);
    return path;
  }
}

export function toSource(rule: Pick<Rule, 'name' | 'source'>): RuleSource {
  return { name: rule.name, source: rule.source };
}

export type { CompiledRuleset };
