import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import type { Diagnostic } from '@sigdesk/detection';

/** A ruleset compiled once: where its compiled form is and what its compile said. */
export interface CompiledRulesetRecord {
  rulesHash: string;
  engine: string;
  sha256: string;
  size: number;
  ruleNames: string[];
  warnings: Diagnostic[];
  compileMillis: number;
}

/** A record of a compiled ruleset, as the sweep of idle ones names it. */
export interface IdleRuleset {
  rulesHash: string;
  engine: string;
  sha256: string;
}

/** The record of compiled rulesets (compiled_rulesets). */
@Injectable()
export class CompiledRulesetsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async find(rulesHash: string, engine: string): Promise<CompiledRulesetRecord | null> {
    const row = await this.db
      .updateTable('compiled_rulesets')
      .set({ last_used_at: sql`now()` })
      .where('rules_hash', '=', rulesHash)
      .where('engine', '=', engine)
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    return {
      rulesHash: row.rules_hash,
      engine: row.engine,
      sha256: row.sha256,
      size: Number(row.size),
      ruleNames: row.rule_names,
      warnings: row.warnings as Diagnostic[],
      compileMillis: row.compile_millis,
    };
  }

  /** Records a compiled ruleset; the first record of a ruleset and engine stays (both are the same rules). */
  async record(compiled: CompiledRulesetRecord): Promise<void> {
    await this.db
      .insertInto('compiled_rulesets')
      .values({
        rules_hash: compiled.rulesHash,
        engine: compiled.engine,
        sha256: compiled.sha256,
        size: compiled.size,
        rule_count: compiled.ruleNames.length,
        rule_names: JSON.stringify(compiled.ruleNames),
        warnings: JSON.stringify(compiled.warnings),
        compile_millis: Math.round(compiled.compileMillis),
      })
      .onConflict((oc) => oc.columns(['rules_hash', 'engine']).doNothing())
      .execute();
  }

  /**
   * Marks the record used now, as `find` does, for a process that keeps the ruleset open rather than opening it
   * again. False when the record (or this compiled form of it) is gone: swept for being idle, or forgotten.
   */
  async touch(rulesHash: string, engine: string, sha256: string): Promise<boolean> {
    const touched = await this.db
      .updateTable('compiled_rulesets')
      .set({ last_used_at: sql`now()` })
      .where('rules_hash', '=', rulesHash)
      .where('engine', '=', engine)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    return touched.numUpdatedRows > 0n;
  }

  /** Records no process has used since `before`, in key order after `after`: the candidates of the sweep. */
  idleSince(before: Date, after: IdleRuleset | undefined, limit: number): Promise<IdleRuleset[]> {
    let query = this.db
      .selectFrom('compiled_rulesets')
      .select(['rules_hash as rulesHash', 'engine', 'sha256'])
      .where('last_used_at', '<', before);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('rules_hash', '>', after.rulesHash),
          eb.and([eb('rules_hash', '=', after.rulesHash), eb('engine', '>', after.engine)]),
        ]),
      );
    }
    return query.orderBy('rules_hash').orderBy('engine').limit(limit).execute();
  }

  /** Whether the record is still there, with this compiled form, and still unused since `before`. */
  async stillIdle(ruleset: IdleRuleset, before: Date): Promise<boolean> {
    const found = await this.db
      .selectFrom('compiled_rulesets')
      .select('rules_hash')
      .where('rules_hash', '=', ruleset.rulesHash)
      .where('engine', '=', ruleset.engine)
      .where('sha256', '=', ruleset.sha256)
      .where('last_used_at', '<', before)
      .executeTakeFirst();
    return found !== undefined;
  }

  /** Whether a record other than this one names the same compiled form (its object is theirs too). */
  async objectSharedWithOthers(ruleset: IdleRuleset): Promise<boolean> {
    const found = await this.db
      .selectFrom('compiled_rulesets')
      .select('rules_hash')
      .where('sha256', '=', ruleset.sha256)
      .where((eb) => eb.or([eb('rules_hash', '!=', ruleset.rulesHash), eb('engine', '!=', ruleset.engine)]))
      .executeTakeFirst();
    return found !== undefined;
  }

  /** Deletes the record if it is still unused since `before` (a process may have opened it meanwhile). */
  async deleteIdle(ruleset: IdleRuleset, before: Date): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom('compiled_rulesets')
      .where('rules_hash', '=', ruleset.rulesHash)
      .where('engine', '=', ruleset.engine)
      .where('sha256', '=', ruleset.sha256)
      .where('last_used_at', '<', before)
      .executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  /** Forgets a record whose compiled form proved unusable, so that the next process compiles and records again. */
  async forget(rulesHash: string, engine: string, sha256: string): Promise<void> {
    await this.db
      .deleteFrom('compiled_rulesets')
      .where('rules_hash', '=', rulesHash)
      .where('engine', '=', engine)
      .where('sha256', '=', sha256)
      .execute();
  }
}
