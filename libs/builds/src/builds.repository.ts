import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction, Updateable } from 'kysely';
import type { CaseStatus, ContractTier, DatabaseBuild, DatabaseBuildsTable, DB, SignatureChange } from '@sigdesk/db';
import { lockDatabaseChannel } from '@sigdesk/releases';

/** A check of a build's proof, and whether it passed. */
export interface Gate {
  check: string;
  passed: boolean;
}

/** A build as the list shows it (no report, no manifest). */
export type ListedBuild = Omit<
  DatabaseBuild,
  'report' | 'manifest' | 'signature' | 'artifact_prefix' | 'lease_owner' | 'lease_expires_at'
> & {
  gates: Gate[];
};

/** A case fixed by a change of a build. */
export interface BuildCase {
  changeId: string;
  id: string;
  reference: string;
  tier: ContractTier;
  status: CaseStatus;
}

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

  /** Approved changes no build has taken yet, on this channel (for its cases, or imported packs), in approval order. */
  unbuiltChanges(executor: Kysely<DB>, channel: string): Promise<SignatureChange[]> {
    return executor
      .selectFrom('signature_changes as sc')
      .selectAll('sc')
      .where('sc.status', '=', 'approved')
      .where('sc.channel', '=', channel)
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
      owner: string;
      leaseMs: number;
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
        lease_owner: values.owner,
        lease_expires_at: sql<Date>`now() + ${`${values.leaseMs} milliseconds`}::interval`,
        attempts: 1,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Whether the build's lease is held by someone and has not expired (by the database's clock). */
  async leaseLive(trx: Transaction<DB>, id: string): Promise<boolean> {
    const { rows } = await sql<{ live: boolean }>`
      SELECT lease_owner IS NOT NULL AND lease_expires_at > now() AS live FROM database_builds WHERE id = ${id}`.execute(
      trx,
    );
    return rows[0]?.live ?? false;
  }

  /** Takes the build over (a new attempt) with a fresh lease. */
  takeOver(trx: Transaction<DB>, id: string, owner: string, leaseMs: number): Promise<DatabaseBuild> {
    return trx
      .updateTable('database_builds')
      .set({
        lease_owner: owner,
        lease_expires_at: sql<Date>`now() + ${`${leaseMs} milliseconds`}::interval`,
        attempts: sql<number>`attempts + 1`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Renews the lease while its holder works; false when the holder has lost it (expired and taken over). */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('database_builds')
      .set({ lease_expires_at: sql<Date>`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'building')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Gives the lease back at once, so that the retry of the job (or any worker) resumes the build. */
  async releaseLease(id: string, owner: string, lastError: string): Promise<void> {
    await this.db
      .updateTable('database_builds')
      .set({ lease_owner: null, lease_expires_at: null, progress: JSON.stringify({ stage: 'retrying', lastError }) })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Channels with a build whose holder stopped renewing its lease: somebody must resume it. */
  async channelsWithStalledBuilds(): Promise<Array<{ channel: string; kind: 'expedited' | 'scheduled' }>> {
    const { rows } = await sql<{ channel: string; kind: 'expedited' | 'scheduled' }>`
      SELECT channel, kind FROM database_builds
      WHERE status = 'building' AND (lease_expires_at IS NULL OR lease_expires_at < now())`.execute(this.db);
    return rows;
  }

  /**
   * Channels with approved changes no build has taken, and whether any of them is from an MSA Start case. A channel
   * whose last build failed for an error in the last minutes waits, so that an outage does not burn versions.
   */
  async channelsWithUnbuiltChanges(
    approvedBefore: Date,
    restAfterError: boolean,
  ): Promise<Array<{ channel: string; expedited: boolean }>> {
    const { rows } = await sql<{ channel: string; expedited: boolean }>`
      SELECT sc.channel, coalesce(bool_or(c.tier = 'msa_start'), false) AS expedited
      FROM signature_changes sc LEFT JOIN cases c ON c.id = sc.case_id
      WHERE sc.status = 'approved' AND sc.approved_at < ${approvedBefore}
        -- a channel whose last build ended in an error (storage down, say) rests a few minutes
        AND NOT (${restAfterError} AND EXISTS (SELECT 1 FROM database_builds b WHERE b.channel = sc.channel AND b.status = 'failed'
                        AND b.failure->>'gate' = 'error' AND b.finished_at > now() - interval '5 minutes'))
      GROUP BY sc.channel`.execute(this.db);
    return rows;
  }

  /** The cases of built changes now wait for the publication of this version. */
  async scheduleFix(trx: Transaction<DB>, caseIds: string[], version: number): Promise<void> {
    if (caseIds.length === 0) return;
    await trx
      .updateTable('cases')
      .set({ scheduled_fix_version: version })
      .where('id', 'in', caseIds)
      .where('status', '=', 'fix_scheduled')
      .execute();
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

  /**
   * A page of the channel's builds, newest first, without their reports and manifests (large): each check's name and
   * result instead (`gates`).
   */
  list(channel: string, beforeVersion: number | undefined, limit: number): Promise<ListedBuild[]> {
    let query = this.db
      .selectFrom('database_builds')
      .select([
        'id',
        'channel',
        'version',
        'parent_version',
        'kind',
        'status',
        'change_ids',
        'stage',
        'progress',
        'failure',
        'manifest_sha256',
        'started_at',
        'finished_at',
        'published_at',
        'attempts',
      ])
      .select(
        sql<
          Gate[]
        >`(SELECT coalesce(jsonb_agg(jsonb_build_object('check', c->>'check', 'passed', (c->>'passed')::boolean)), '[]'::jsonb)
          FROM jsonb_array_elements(coalesce(report->'checks', '[]'::jsonb)) c)`.as('gates'),
      )
      .where('channel', '=', channel);
    if (beforeVersion !== undefined) query = query.where('version', '<', beforeVersion);
    return query.orderBy('version', 'desc').limit(limit).execute();
  }

  /** The cases whose signature changes are among `changeIds`, with the change that carries each. */
  casesOfChanges(changeIds: readonly string[]): Promise<BuildCase[]> {
    if (changeIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('signature_changes as sc')
      .innerJoin('cases as c', 'c.id', 'sc.case_id')
      .select(['sc.id as changeId', 'c.id', 'c.reference', 'c.tier', 'c.status'])
      .where('sc.id', 'in', [...changeIds])
      .orderBy('c.reference')
      .execute();
  }

  /** The cases that publishing `version` of `channel` would make fixed (as {@link CasesRepository.fixedByPublication}). */
  casesClosedByPublishing(channel: string, version: number): Promise<Array<{ id: string; reference: string }>> {
    return this.db
      .selectFrom('cases')
      .select(['id', 'reference'])
      .where('status', '=', 'fix_scheduled')
      .where('database_channel', '=', channel)
      .where('scheduled_fix_version', '<=', version)
      .orderBy('reference')
      .execute();
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
