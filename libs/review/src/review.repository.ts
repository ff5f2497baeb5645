import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { Case, CaseStatus, DB, Organization } from '@sigdesk/db';

/** Position of a case in the queue, as the queue index sorts it: the keyset of queue pages. */
export interface QueueKey {
  standard: boolean;
  notPremium: boolean;
  severity: number;
  responseDueAt: string;
  createdAt: string;
  id: string;
}

export interface QueueRow extends Case {
  organization_name: string;
  group_size: number;
  /** the display name of the person, or the name of the key, that holds the claim */
  holder_name: string | null;
  holder_kind: 'person' | 'key' | null;
}

/** Which cases a queue page lists: every filter is optional; `claimed` chooses queued, in review, or both. */
export interface QueueFilter {
  tier?: 'standard' | 'msa_start';
  premium?: boolean;
  severity?: number;
  kind?: 'false_positive' | 'false_negative';
  claimed: 'no' | 'yes' | 'any';
}

/** Another case with one of a case's samples. */
export interface SampleSibling {
  sha256: string;
  id: string;
  reference: string;
  status: CaseStatus;
  organization_id: string;
  organization_name: string;
  /** every other case with this sample, not only the ones returned */
  total: number;
}

export type ClockEvent = 'warning' | 'breach';

/** A response clock that is due, and the keyset of the sweep's pages. */
export interface DueClock {
  id: string;
  dueAt: Date;
}

/**
 * The response clock runs: no qualified response yet, not paused, and the case waits for an analyst. Written
 * out as constants (no parameters) so that the planner matches the partial indexes of the sweep.
 */
const CLOCK_RUNS = sql`first_response_at IS NULL AND sla_paused_at IS NULL AND status IN ('received', 'queued', 'in_review')`;

const CLOCK_EVENT_COLUMNS = {
  warning: { due: sql.ref('sla_warning_at'), recorded: sql.ref('sla_warned_at') },
  breach: { due: sql.ref('response_due_at'), recorded: sql.ref('sla_breached_at') },
} as const;

const QUEUE_ORDER = sql`(c.tier <> 'msa_start'), (NOT c.premium), c.severity, c.response_due_at, c.created_at, c.id`;

@Injectable()
export class ReviewRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /**
   * One page of the queue, in the order work must be done, with the filters: queued cases (served by
   * cases_review_queue_idx, read in order, never more than a page), claimed ones (cases_claimed_idx: they are few,
   * a handful per analyst, and go back to the queue when left untouched), or both, merged.
   */
  async queuePage(
    after: QueueKey | undefined,
    limit: number,
    filter: QueueFilter = { claimed: 'no' },
  ): Promise<QueueRow[]> {
    const statuses: Array<'queued' | 'in_review'> =
      filter.claimed === 'any' ? ['queued', 'in_review'] : filter.claimed === 'yes' ? ['in_review'] : ['queued'];
    const afterClause = after
      ? sql`AND (${QUEUE_ORDER}) > (${after.standard}, ${after.notPremium}, ${after.severity}, ${after.responseDueAt}::timestamptz, ${after.createdAt}::timestamptz, ${after.id}::uuid)`
      : sql``;
    const filters = [
      filter.tier === undefined ? sql`` : sql`AND c.tier = ${filter.tier}`,
      filter.premium === undefined ? sql`` : sql`AND c.premium = ${filter.premium}`,
      filter.severity === undefined ? sql`` : sql`AND c.severity = ${filter.severity}`,
      filter.kind === undefined ? sql`` : sql`AND c.kind = ${filter.kind}`,
    ];
    // the status is written out (not a parameter) so that the planner matches each partial index
    const scans = statuses.map(
      (status) => sql`(
        SELECT c.id FROM cases c
        WHERE c.status = ${sql.lit(status)} ${afterClause} ${sql.join(filters, sql` `)}
        ORDER BY ${QUEUE_ORDER}
        LIMIT ${limit})`,
    );
    const { rows } = await sql<QueueRow>`
      SELECT c.*, o.name AS organization_name,
        (SELECT count(*)::int FROM cases g WHERE g.group_id = coalesce(c.group_id, c.id)) + 1 AS group_size,
        coalesce(u.display_name, k.name) AS holder_name,
        CASE WHEN u.id IS NOT NULL THEN 'person' WHEN k.id IS NOT NULL THEN 'key' END AS holder_kind
      FROM (${sql.join(scans, sql` UNION ALL `)}) page
      JOIN cases c ON c.id = page.id
      JOIN organizations o ON o.id = c.organization_id
      LEFT JOIN users u ON u.id = c.assigned_to
      LEFT JOIN api_keys k ON k.id = c.assigned_to
      ORDER BY ${QUEUE_ORDER}
      LIMIT ${limit}`.execute(this.db);
    return rows;
  }

  /** The organisations of these ids (their business calendars count the clocks of a queue page), by id. */
  async organizations(ids: string[]): Promise<Map<string, Organization>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Who `actorId` is: a person's display name or a key's name (claims are held by either). */
  async holder(actorId: string): Promise<{ name: string; kind: 'person' | 'key' } | null> {
    const person = await this.db
      .selectFrom('users')
      .select('display_name')
      .where('id', '=', actorId)
      .executeTakeFirst();
    if (person) return { name: person.display_name, kind: 'person' };
    const key = await this.db.selectFrom('api_keys').select('name').where('id', '=', actorId).executeTakeFirst();
    return key ? { name: key.name, kind: 'key' } : null;
  }

  /**
   * For each of `hashes`, the latest `perSample` other cases (than `caseId`) with that sample, of any
   * organisation, and how many there are in all (served by case_samples_sha256_idx).
   */
  async samplesSiblings(caseId: string, hashes: string[], perSample: number): Promise<SampleSibling[]> {
    if (hashes.length === 0) return [];
    const { rows } = await sql<SampleSibling>`
      SELECT sha256, id, reference, status, organization_id, organization_name, total FROM (
        SELECT cs.sha256, c.id, c.reference, c.status, c.organization_id, o.name AS organization_name,
          row_number() OVER (PARTITION BY cs.sha256 ORDER BY c.created_at DESC, c.id) AS rank,
          (count(*) OVER (PARTITION BY cs.sha256))::int AS total
        FROM case_samples cs
        JOIN cases c ON c.id = cs.case_id
        JOIN organizations o ON o.id = c.organization_id
        WHERE cs.sha256 IN (${sql.join(hashes)}) AND cs.case_id <> ${caseId}
      ) siblings
      WHERE rank <= ${perSample}
      ORDER BY sha256, rank`.execute(this.db);
    return rows;
  }

  /**
   * The first case of the queue, locked. SKIP LOCKED lets concurrent claims each take a different case instead
   * of waiting for (and then losing) the same one.
   */
  async lockNextQueued(trx: Transaction<DB>): Promise<Case | undefined> {
    const { rows } = await sql<Case>`
      SELECT c.* FROM cases c WHERE c.status = 'queued'
      ORDER BY ${QUEUE_ORDER}
      LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(trx);
    return rows[0];
  }

  /** Claimed cases nobody has touched since `before`. */
  staleClaims(before: Date, limit: number): Promise<Case[]> {
    return this.db
      .selectFrom('cases')
      .selectAll()
      .where('status', '=', 'in_review')
      .where('last_analyst_activity_at', '<', before)
      .orderBy('last_analyst_activity_at')
      .limit(limit)
      .execute();
  }

  /**
   * The cases of a group (the first case and those linked to it) in these statuses, locked in the order of
   * their ids, the one order in which transactions lock several cases, so that they never deadlock. A case
   * that leaves these statuses while this waits for its lock is not returned. Returned in the order they came in.
   */
  async lockGroup(trx: Transaction<DB>, groupRootId: string, statuses: CaseStatus[]): Promise<Case[]> {
    const locked = await trx
      .selectFrom('cases')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', groupRootId), eb('group_id', '=', groupRootId)]))
      .where('status', 'in', statuses)
      .orderBy('id')
      .forUpdate()
      .execute();
    return locked.sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
  }

  groupMembers(groupRootId: string): Promise<Array<Pick<Case, 'id' | 'reference' | 'status' | 'organization_id'>>> {
    return this.db
      .selectFrom('cases')
      .select(['id', 'reference', 'status', 'organization_id'])
      .where((eb) => eb.or([eb('id', '=', groupRootId), eb('group_id', '=', groupRootId)]))
      .orderBy('created_at')
      .execute();
  }

  /**
   * Running clocks whose warning (or breach) time has passed without one recorded, oldest due first, after
   * `after` (the last of the previous page). Served by cases_sla_warning_due_idx and cases_sla_breach_due_idx,
   * whose predicates are these conditions.
   */
  async clocksDue(kind: ClockEvent, now: Date, after: DueClock | undefined, limit: number): Promise<DueClock[]> {
    const { due, recorded } = CLOCK_EVENT_COLUMNS[kind];
    const afterClause = after ? sql`AND (${due}, id) > (${after.dueAt}::timestamptz, ${after.id}::uuid)` : sql``;
    const { rows } = await sql<{ id: string; due_at: Date }>`
      SELECT id, ${due} AS due_at FROM cases
      WHERE ${CLOCK_RUNS} AND ${recorded} IS NULL AND ${due} <= ${now} ${afterClause}
      ORDER BY ${due}, id
      LIMIT ${limit}`.execute(this.db);
    return rows.map((r) => ({ id: r.id, dueAt: r.due_at }));
  }

  /**
   * Records the warning (or breach) of a case whose clock runs and is due, once: the conditions are checked by
   * the update itself, so a late, repeated or stale timer records nothing. Null when nothing was recorded.
   */
  async recordClockEvent(
    trx: Transaction<DB>,
    caseId: string,
    kind: ClockEvent,
    now: Date,
  ): Promise<{ responseDueAt: Date } | null> {
    const { due, recorded } = CLOCK_EVENT_COLUMNS[kind];
    const { rows } = await sql<{ response_due_at: Date }>`
      UPDATE cases SET ${recorded} = ${now}
      WHERE id = ${caseId} AND ${CLOCK_RUNS} AND ${recorded} IS NULL AND ${due} <= ${now}
      RETURNING response_due_at`.execute(trx);
    return rows[0] ? { responseDueAt: rows[0].response_due_at } : null;
  }

  /** Warnings and breaches recorded on cases, ever: read from PostgreSQL, so that every process agrees. */
  async slaEventCounts(): Promise<Record<ClockEvent, number>> {
    const rows = await this.db
      .selectFrom('case_events')
      .select(['type', (eb) => eb.fn.countAll<string>().as('n')])
      .where('type', 'in', ['sla_warning', 'sla_breached'])
      .groupBy('type')
      .execute();
    const counts = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    return { warning: counts.sla_warning ?? 0, breach: counts.sla_breached ?? 0 };
  }
}
