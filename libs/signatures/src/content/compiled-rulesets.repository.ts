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
