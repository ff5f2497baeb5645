import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { CompiledRuleset, compileRuleset, CompileOutcome, RuleSource } from '@sigdesk/detection';
import type { Rule } from '@sigdesk/db';
import { ObjectCache } from '@sigdesk/storage';
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

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly objects: ObjectCache,
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
    const compiled = compileRuleset(rules.map(toSource));
    if (!compiled.ok) {
      this.logger.error({ errors: compiled.errors.slice(0, 5) }, 'the current ruleset does not compile');
    }
    this.logger.log({ rules: rules.length, millis: compiled.millis }, 'ruleset compiled');
    return { rules, allowlist, compiled };
  }

  /** A local file with the object's bytes, downloaded once and kept under its SHA-256. */
  async localCopy(storageKey: string, sha256: string): Promise<string> {
    return this.objects.localCopy(storageKey, sha256);
  }
}

export function toSource(rule: Pick<Rule, 'name' | 'source'>): RuleSource {
  return { name: rule.name, source: rule.source };
}

export type { CompiledRuleset };
