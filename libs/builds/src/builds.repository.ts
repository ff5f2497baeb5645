import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction, Updateable } from 'kysely';
import type { ContractTier, DatabaseBuild, DatabaseBuildsTable, DB, SignatureChange } from '@sigdesk/db';
import { lockDatabaseChannel } from '@sigdesk/releases';

@Injectable()
export class BuildsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  executor(): Kysely<DB> {
    return this.db;
  }

  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** The channel's one lock, which baseline releases take too (see {@link lockDatabaseChannel}). */
  lockChannel(trx: Transaction<DB>, channel: string): Promise<void> {
    return lockDatabaseChannel(trx, channel);
  }

  running(executor: Kysely<DB>, channel: string): Promise<DatabaseBuild | undefined> {
    return executor
      .selectFrom('database_builds')
      .selectAll()
      .where('channel', '=', channel)
      .where('status', '=', 'building')
      .executeTakeFirst();
  }

  runningBuild(channel: string) {
    return this.running(this.db, channel);
  }

  /** Approved changes no build has taken yet, for cases on this channel, in approval order. */
  unbuiltChanges(executor: Kysely<DB>, channel: string): Promise<SignatureChange[]> {
    return executor
      .selectFrom('signature_changes as sc')
      .innerJoin('cases as c', 'c.id', 'sc.case_id')
      .selectAll('sc')
      .where('sc.status', '=', 'approved')
      .where('c.database_channel', '=', channel)
      .orderBy('sc.approval_seq')
      .execute();
  }

  changesByIds(ids: string[]): Promise<SignatureChange[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('signature_changes').selectAll().where('id', 'in', ids).orderBy('approval_seq').execute();
  }

  /** The next version of a channel: above every build ever started and every release ever registered. */
  async nextVersion(trx: Transaction<DB>, channel: string): Promise<{ version: number; parent: number | null }> {
    const { rows } = await sql<{ builds: number | null; releases: number | null }>`
      SELECT (SELECT max(version) FROM database_builds WHERE channel = ${channel}) AS builds,
             (SELECT max(version) FROM database_releases WHERE channel = ${channel}) AS releases`.execute(trx);
    const top = Math.max(rows[0].builds ?? 0, rows[0].releases ?? 0);
    const { rows: parents } = await sql<{ version: number }>`
      SELECT max(version) AS version FROM (
        SELECT version FROM database_builds WHERE channel = ${channel} AND status IN ('stored', 'published')
        UNION ALL SELECT version FROM database_releases WHERE channel = ${channel}) v`.execute(trx);
    return { version: top + 1, parent: parents[0]?.version ?? null };
  }

  insert(
    trx: Transaction<DB>,
    values: {
      channel: string;
      version: number;
      parent: number | null;
      kind: 'expedited' | 'scheduled';
      changeIds: string[];
    },
  ) {
    return trx
      .insertInto('database_builds')
      .values({
        channel: values.channel,
        version: values.version,
        parent_version: values.parent,
        kind: values.kind,
        status: 'building',
        change_ids: values.changeIds,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async update(executor: Kysely<DB>, id: string, changes: Updateable<DatabaseBuildsTable>): Promise<void> {
    await executor.updateTable('database_builds').set(changes).where('id', '=', id).execute();
  }

  find(channel: string, version: number): Promise<DatabaseBuild | undefined> {
    return this.db
      .selectFrom('database_builds')
      .selectAll()
      .where('channel', '=', channel)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  lock(trx: Transaction<DB>, channel: string, version: number): Promise<DatabaseBuild | undefined> {
    return trx
      .selectFrom('database_builds')
      .selectAll()
      .where('channel', '=', channel)
      .where('version', '=', version)
      .forUpdate()
      .executeTakeFirst();
  }

  list(channel: string, beforeVersion: number | undefined, limit: number): Promise<DatabaseBuild[]> {
    let query = this.db.selectFrom('database_builds').selectAll().where('channel', '=', channel);
    if (beforeVersion !== undefined) query = query.where('version', '<', beforeVersion);
    return query.orderBy('version', 'desc').limit(limit).execute();
  }

  async channelsWithWaitingExpedited(approvedBefore: Date): Promise<string[]> {
    const rows = await this.db
      .selectFrom('signature_changes as sc')
      .innerJoin('cases as c', 'c.id', 'sc.case_id')
      .select('c.database_channel')
      .distinct()
      .where('sc.status', '=', 'approved')
      .where('c.tier', '=', 'msa_start')
      .where('sc.approved_at', '<', approvedBefore)
      .execute();
    return rows.map((r) => r.database_channel);
  }

  /**
   * Seconds from the approval of a change to its stored build, over builds finished in the last 7 days, by
   * the contract tier of the change's case.
   */
  async fixBuildTimes(): Promise<Array<{ tier: ContractTier; n: number; p50: number; p90: number; max: number }>> {
    const { rows } = await sql<{ tier: ContractTier; n: number; p50: number; p90: number; max: number }>`
      SELECT c.tier, count(*)::int AS n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - sc.approved_at)) AS p50,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM b.finished_at - sc.approved_at)) AS p90,
        max(extract(epoch FROM b.finished_at - sc.approved_at)) AS max
      FROM signature_changes sc
      JOIN cases c ON c.id = sc.case_id
      JOIN database_builds b ON b.version = sc.build_version AND b.channel = c.database_channel
      WHERE b.finished_at > now() - interval '7 days' AND b.status IN ('stored', 'published')
      GROUP BY c.tier`.execute(this.db);
    return rows.map((r) => ({ tier: r.tier, n: r.n, p50: Number(r.p50), p90: Number(r.p90), max: Number(r.max) }));
  }
}
