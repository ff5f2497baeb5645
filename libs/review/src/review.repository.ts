import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { Case, CaseStatus, DB } from '@sigdesk/db';

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

  /** One page of the queue, in the order work must be done (served by cases_review_queue_idx). */
  async queuePage(after: QueueKey | undefined, limit: number): Promise<QueueRow[]> {
    const afterClause = after
      ? sql`AND (${QUEUE_ORDER}) > (${after.standard}, ${after.notPremium}, ${after.severity}, ${after.responseDueAt}::timestamptz, ${after.createdAt}::timestamptz, ${after.id}::uuid)`
      : sql``;
    const { rows } = await sql<QueueRow>`
      SELECT c.*, o.name AS organization_name,
        (SELECT count(*)::int FROM cases g WHERE g.group_id = coalesce(c.group_id, c.id)) + 1 AS group_size
      FROM cases c JOIN organizations o ON o.id = c.organization_id
      WHERE c.status = 'queued' ${afterClause}
      ORDER BY ${QUEUE_ORDER}
      LIMIT ${limit}`.execute(this.db);
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
