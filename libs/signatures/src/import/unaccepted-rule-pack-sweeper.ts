import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { RulePacksRepository } from './rule-packs.repository';

/** Candidates read at a time. */
const PAGE_SIZE = 200;

/**
 * Deletes rule pack imports nobody accepted: an analysed or failed import keeps every file's text and report (an
 * 18,000-rule pack weighs tens of MB), and is of use only until an admin accepts it or uploads the pack again. Once
 * its analysis ended longer ago than SIGDESK_RULE_PACK_RETENTION_DAYS, it goes with its files. Accepted imports
 * stay whole: their files' accepted text is the content of their signature change (read by its validation and its
 * build), and the import's page, linked from the change, shows each file's report. Imports still analysing are
 * left to their analysis (restored by the queue reconciler when lost).
 */
@Injectable()
export class UnacceptedRulePackSweeper {
  private readonly logger = new Logger(UnacceptedRulePackSweeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly packs: RulePacksRepository,
  ) {}

  /** `scanned`: the imports past the retention period; `deleted`: those deleted (the others were accepted meanwhile). */
  async sweep(now = new Date()): Promise<{ scanned: number; deleted: number }> {
    const before = new Date(now.getTime() - this.config.retention.rulePackImportsMs);
    let scanned = 0;
    let deleted = 0;
    let failed = 0;
    let lastError: unknown;
    let after: string | undefined;
    for (;;) {
      const ids = await this.packs.unacceptedBefore(before, after, PAGE_SIZE);
      scanned += ids.length;
      // one import at a time: a statement per pack, however many files it has, keeps each transaction short
      for (const id of ids) {
        try {
          if (await this.packs.deleteUnaccepted(id, before)) deleted++;
        } catch (error) {
          failed++;
          lastError = error;
          this.logger.warn({ err: error, importId: id }, 'deleting a rule pack import not accepted failed');
        }
      }
      if (ids.length < PAGE_SIZE) break;
      after = ids[ids.length - 1];
    }
    if (deleted) this.logger.log({ scanned, deleted }, 'rule pack imports not accepted deleted');
    if (failed) {
      throw new Error(`${failed} rule pack import(s) could not be deleted; the next sweep tries again`, {
        cause: lastError,
      });
    }
    return { scanned, deleted };
  }
}
