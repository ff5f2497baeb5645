import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { CompiledRulesetsRepository } from './compiled-rulesets.repository';
import { RulesetsInForce } from './rulesets-in-force';

/** Candidates read at a time. */
const PAGE_SIZE = 200;

/**
 * Removes compiled rulesets (their record in compiled_rulesets and their object) that no process has used for
 * SIGDESK_COMPILED_RULESETS_IDLE_DAYS: every validation compiles a candidate (its parent plus its change) and every
 * build its content, so without this they pile up, each as large as the content (MBs for a big pack). The rulesets
 * in force (see RulesetsInForce) are kept whatever their age. What else uses one is marked used: a process opening
 * it (CompiledRulesetsRepository.find), and a process keeping it open (CompiledRulesets, every few minutes); a
 * validation or a build runs for minutes, not days.
 *
 * Removing one is always safe for its users: a process that finds no record, or a record whose object is gone,
 * compiles the rules from their source and stores them again, and a process that kept the rules open finds its
 * record gone at its next use and does the same. For each candidate, the object goes first and the record after,
 * each time only if the record is still unused: a failure leaves the record, and the next sweep tries again. A use
 * that comes between the two (the same milliseconds, after days unused) costs that process a compile.
 */
@Injectable()
export class CompiledRulesetsSweeper {
  private readonly logger = new Logger(CompiledRulesetsSweeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly records: CompiledRulesetsRepository,
    private readonly inForce: RulesetsInForce,
    private readonly store: ObjectStore,
  ) {}

  /**
   * `scanned`: the records unused for the idle period; `kept`: those of them in force; `deleted`: the records
   * removed with their objects (the others were used meanwhile).
   */
  async sweep(now = new Date()): Promise<{ scanned: number; kept: number; deleted: number }> {
    const before = new Date(now.getTime() - this.config.retention.compiledRulesetsIdleMs);
    const inForce = await this.inForce.rulesHashes();
    let scanned = 0;
    let kept = 0;
    let deleted = 0;
    let failed = 0;
    let lastError: unknown;
    for (let page = await this.records.idleSince(before, undefined, PAGE_SIZE); ;) {
      scanned += page.length;
      for (const ruleset of page) {
        if (inForce.has(ruleset.rulesHash)) {
          kept++;
          continue;
        }
        try {
          // used since the page was read: not a candidate any more
          if (!(await this.records.stillIdle(ruleset, before))) continue;
          if (!(await this.records.objectSharedWithOthers(ruleset))) {
            await this.store.delete(StorageKeys.compiledRules(ruleset.sha256));
          }
          if (await this.records.deleteIdle(ruleset, before)) {
            deleted++;
            continue;
          }
          // used between the check and the removal: a record left naming no object would be opened, fail and be
          // compiled again by every reader, so it goes too, and its users compile and store the rules again
          await this.records.forget(ruleset.rulesHash, ruleset.engine, ruleset.sha256);
          this.logger.log({ rulesHash: ruleset.rulesHash }, 'a compiled ruleset was used as it was removed');
        } catch (error) {
          failed++;
          lastError = error;
          this.logger.warn({ err: error, rulesHash: ruleset.rulesHash }, 'removing an idle compiled ruleset failed');
        }
      }
      if (page.length < PAGE_SIZE) break;
      page = await this.records.idleSince(before, page[page.length - 1], PAGE_SIZE);
    }
    if (deleted) this.logger.log({ scanned, kept, deleted }, 'idle compiled rulesets removed');
    if (failed) {
      throw new Error(`${failed} compiled ruleset(s) could not be removed; the next sweep tries again`, {
        cause: lastError,
      });
    }
    return { scanned, kept, deleted };
  }
}
