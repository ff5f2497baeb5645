import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { RulesetsInForce } from './content/rulesets-in-force';
import { ScanVerdictsRepository } from './scan-verdicts.repository';

/** Rules hashes read at a time, and verdicts deleted per statement. */
const PAGE_SIZE = 500;
const DELETE_BATCH = 5_000;

/**
 * Deletes remembered verdicts (scan_verdicts) that no scan will read again. A verdict is read only by a scan with
 * the same rules, and such a scan uses the rules' compiled ruleset, which marks its record used: rules whose record
 * is gone (no process used them for SIGDESK_COMPILED_RULESETS_IDLE_DAYS: CompiledRulesetsSweeper removed it) will
 * not be scanned with again, or only after that long, when scanning again costs less than keeping every corpus
 * file's verdict of every candidate ever validated. Verdicts younger than the idle period stay (their rules may be
 * in use by a process that could not store their compiled form), and so do those of the rulesets in force (see
 * RulesetsInForce). Deleting one that is wanted after all only costs a scan.
 */
@Injectable()
export class ScanVerdictsPruner {
  private readonly logger = new Logger(ScanVerdictsPruner.name);

  constructor(
    private readonly config: AppConfig,
    private readonly verdicts: ScanVerdictsRepository,
    private readonly inForce: RulesetsInForce,
  ) {}

  /** `rulesets`: the rules whose verdicts were looked at; `deleted`: the verdicts deleted. */
  async prune(now = new Date()): Promise<{ rulesets: number; deleted: number }> {
    const before = new Date(now.getTime() - this.config.retention.compiledRulesetsIdleMs);
    const inForce = await this.inForce.rulesHashes();
    let rulesets = 0;
    let deleted = 0;
    let after: string | undefined;
    for (;;) {
      const hashes = await this.verdicts.rulesHashes(after, PAGE_SIZE);
      rulesets += hashes.length;
      for (const rulesHash of hashes) {
        if (inForce.has(rulesHash)) continue;
        // in batches: one candidate's verdicts are one per corpus file, thousands of rows
        for (;;) {
          const batch = await this.verdicts.deleteUnrecorded(rulesHash, before, DELETE_BATCH);
          deleted += batch;
          if (batch < DELETE_BATCH) break;
        }
      }
      if (hashes.length < PAGE_SIZE) break;
      after = hashes[hashes.length - 1];
    }
    if (deleted) this.logger.log({ rulesets, deleted }, 'scan verdicts of rulesets no longer used deleted');
    return { rulesets, deleted };
  }
}
