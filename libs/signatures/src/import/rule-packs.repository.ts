import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { DB, RulePackFile, RulePackImport } from '@sigdesk/db';
import type { FileReport, PackSummary } from './pack-report';

export interface NewRulePackImport {
  channel: string;
  packName: string;
  fileName: string;
  format: RulePackImport['format'];
  bytes: number;
  sha256: string;
  skipped: Array<{ path: string; reason: string }>;
  createdBy: string;
  files: Array<{ path: string; namespace: string; text: string }>;
}

/** Rule pack imports and their files. */
@Injectable()
export class RulePacksRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** The import and its files, in the caller's transaction (with the job that analyses it). */
  async insert(trx: Transaction<DB>, pack: NewRulePackImport): Promise<RulePackImport> {
    const row = await trx
      .insertInto('rule_pack_imports')
      .values({
        channel: pack.channel,
        pack_name: pack.packName,
        file_name: pack.fileName,
        format: pack.format,
        bytes: pack.bytes,
        sha256: pack.sha256,
        skipped: JSON.stringify(pack.skipped),
        status: 'analysing',
        created_by: pack.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // in slices: a pack of thousands of files stays within PostgreSQL's parameters per statement
    for (let start = 0; start < pack.files.length; start += 1_000) {
      await trx
        .insertInto('rule_pack_files')
        .values(
          pack.files.slice(start, start + 1_000).map((file, i) => ({
            import_id: row.id,
            position: start + i,
            path: file.path,
            namespace: file.namespace,
            source: file.text,
          })),
        )
        .execute();
    }
    return row;
  }

  find(id: string, executor: Kysely<DB> = this.db): Promise<RulePackImport | undefined> {
    return executor.selectFrom('rule_pack_imports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  lock(trx: Transaction<DB>, id: string): Promise<RulePackImport | undefined> {
    return trx.selectFrom('rule_pack_imports').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  files(importId: string, executor: Kysely<DB> = this.db): Promise<RulePackFile[]> {
    return executor
      .selectFrom('rule_pack_files')
      .selectAll()
      .where('import_id', '=', importId)
      .orderBy('position')
      .execute();
  }

  /** The newest imports first. */
  list(limit: number): Promise<RulePackImport[]> {
    return this.db
      .selectFrom('rule_pack_imports')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Imports still to analyse: their jobs are restored when the queues lost them. */
  async analysing(afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('rule_pack_imports').select('id').where('status', '=', 'analysing');
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /**
   * Imports never accepted (analysed, or failed) whose analysis ended before `before`, by id after `afterId`: the
   * candidates of UnacceptedRulePackSweeper.
   */
  async unacceptedBefore(before: Date, afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db
      .selectFrom('rule_pack_imports')
      .select('id')
      .where('status', 'in', ['analysed', 'failed'])
      .where('updated_at', '<', before);
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /**
   * Deletes an import with its files if it is still not accepted and still ended before `before`. An accept holds
   * the import's row lock (see `lock`) until it commits: the delete waits for it, reads the row again and finds it
   * accepted; an accept that comes after the delete finds no import.
   */
  async deleteUnaccepted(id: string, before: Date): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom('rule_pack_imports')
      .where('id', '=', id)
      .where('status', 'in', ['analysed', 'failed'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  async setProgress(id: string, progress: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('rule_pack_imports')
      .set({ progress: JSON.stringify(progress), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'analysing')
      .execute();
  }

  /**
   * Records the analysis once: each file's report and the summary, or why it failed. A second run of the same
   * analysis finds the import no longer analysing and writes nothing.
   */
  async finish(
    id: string,
    outcome: { summary: PackSummary; files: Map<number, FileReport> } | { error: string },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const locked = await this.lock(trx, id);
      if (locked?.status !== 'analysing') return false;
      if ('error' in outcome) {
        await trx
          .updateTable('rule_pack_imports')
          .set({ status: 'failed', error: outcome.error, updated_at: new Date() })
          .where('id', '=', id)
          .execute();
        return true;
      }
      const reports = [...outcome.files].map(([position, report]) => ({ position, report: JSON.stringify(report) }));
      for (let start = 0; start < reports.length; start += 1_000) {
        const slice = reports.slice(start, start + 1_000);
        await sql`
          UPDATE rule_pack_files f SET report = v.report::jsonb
          FROM (SELECT unnest(${sql.val(slice.map((r) => r.position))}::int[]) AS position,
                       unnest(${sql.val(slice.map((r) => r.report))}::text[]) AS report) v
          WHERE f.import_id = ${id} AND f.position = v.position`.execute(trx);
      }
      await trx
        .updateTable('rule_pack_imports')
        .set({ status: 'analysed', summary: JSON.stringify(outcome.summary), updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      return true;
    });
  }

  /** Records what an accepted import brings (each file's accepted text, or null) and its change. */
  async accept(
    trx: Transaction<DB>,
    id: string,
    accepted: Map<number, string | null>,
    changeId: string,
  ): Promise<void> {
    const entries = [...accepted];
    for (let start = 0; start < entries.length; start += 1_000) {
      const slice = entries.slice(start, start + 1_000);
      await sql`
        UPDATE rule_pack_files f SET accepted_source = v.source
        FROM (SELECT unnest(${sql.val(slice.map(([position]) => position))}::int[]) AS position,
                     unnest(${sql.val(slice.map(([, source]) => source))}::text[]) AS source) v
        WHERE f.import_id = ${id} AND f.position = v.position`.execute(trx);
    }
    await trx
      .updateTable('rule_pack_imports')
      .set({ status: 'accepted', change_id: changeId, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }
}
