import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { CaseStatus, ContractTier, DB } from '@sigdesk/db';

/** The statuses of cases that wait for the vendor or the customer: the queue's depth. */
export const WAITING_STATUSES: readonly CaseStatus[] = ['queued', 'in_review', 'awaiting_customer'];

export interface QueueDepthRow {
  tier: ContractTier;
  severity: number;
  premium: boolean;
  status: CaseStatus;
  cases: number;
  breached: number;
}

export interface SlaDayRow {
  day: string;
  met: number;
  breached: number;
}

export interface FixTimeRow {
  /** null: the whole period */
  day: string | null;
  tier: ContractTier;
  changes: number;
  /** approval of the change to its stored build (sigdesk_fix_build_seconds) */
  buildP50: number;
  buildP90: number;
  buildMax: number;
  /** the customer's report to the stored build that fixes it */
  reportP50: number;
  reportP90: number;
  reportMax: number;
}

export interface ActivityDayRow {
  day: string;
  validationsPassed: number;
  validationsFailed: number;
  buildsStored: number;
  buildsFailed: number;
  buildsPublished: number;
}

/**
 * The dashboard's figures, read from PostgreSQL (the system of record), each over `since` and counted by day in
 * the viewer's time zone. Every query reads an index on the time it filters by (migration 0060).
 */
@Injectable()
export class DashboardRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** The start of the local day `days - 1` days before today, in `timeZone`: the period is whole local days. */
  async periodStart(timeZone: string, days: number): Promise<Date> {
    const { rows } = await sql<{ since: Date }>`
      SELECT (date_trunc('day', now() AT TIME ZONE ${timeZone}) - make_interval(days => ${days - 1}))
        AT TIME ZONE ${timeZone} AS since`.execute(this.db);
    return rows[0].since;
  }

  async queueDepth(): Promise<QueueDepthRow[]> {
    const { rows } = await sql<QueueDepthRow>`
      SELECT tier, severity, premium, status, count(*)::int AS cases,
        count(*) FILTER (WHERE sla_breached_at IS NOT NULL)::int AS breached
      FROM cases
      WHERE status IN (${sql.join(WAITING_STATUSES)})
      GROUP BY tier, severity, premium, status`.execute(this.db);
    return rows;
  }

  /** Per day: response clocks that ended met (answered without a breach) and those breached. */
  async slaByDay(since: Date, timeZone: string): Promise<SlaDayRow[]> {
    const { rows } = await sql<SlaDayRow>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(met)::int AS met, sum(breached)::int AS breached
      FROM (
        SELECT date_trunc('day', first_response_at AT TIME ZONE ${timeZone}) AS day, 1 AS met, 0 AS breached
        FROM cases WHERE first_response_at >= ${since} AND sla_breached_at IS NULL
        UNION ALL
        SELECT date_trunc('day', sla_breached_at AT TIME ZONE ${timeZone}), 0, 1
        FROM cases WHERE sla_breached_at >= ${since}
      ) ended
      GROUP BY day ORDER BY day`.execute(this.db);
    return rows;
  }

  /** Per day and tier, and per tier over the whole period: how long fixes took. */
  async fixTimes(since: Date, timeZone: string): Promise<FixTimeRow[]> {
    const { rows } = await sql<FixTimeRow>`
      WITH fixes AS (
        SELECT c.tier,
          date_trunc('day', b.finished_at AT TIME ZONE ${timeZone}) AS day,
          extract(epoch FROM b.finished_at - sc.approved_at) AS build_seconds,
          extract(epoch FROM b.finished_at - c.created_at) AS report_seconds
        FROM database_builds b
        JOIN signature_changes sc ON sc.build_version = b.version AND sc.channel = b.channel
        JOIN cases c ON c.id = sc.case_id
        WHERE b.finished_at >= ${since} AND b.status IN ('stored', 'published') AND sc.approved_at IS NOT NULL
      )
      SELECT to_char(day, 'YYYY-MM-DD') AS day, tier, count(*)::int AS changes,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY build_seconds) AS "buildP50",
        percentile_cont(0.9) WITHIN GROUP (ORDER BY build_seconds) AS "buildP90",
        max(build_seconds) AS "buildMax",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY report_seconds) AS "reportP50",
        percentile_cont(0.9) WITHIN GROUP (ORDER BY report_seconds) AS "reportP90",
        max(report_seconds) AS "reportMax"
      FROM fixes
      GROUP BY GROUPING SETS ((day, tier), (tier))
      ORDER BY day NULLS FIRST, tier`.execute(this.db);
    return rows.map((r) => ({
      ...r,
      buildP50: Number(r.buildP50),
      buildP90: Number(r.buildP90),
      buildMax: Number(r.buildMax),
      reportP50: Number(r.reportP50),
      reportP90: Number(r.reportP90),
      reportMax: Number(r.reportMax),
    }));
  }

  /** Per day: validations that passed or failed, builds stored or failed, builds published. */
  async activityByDay(since: Date, timeZone: string): Promise<ActivityDayRow[]> {
    const { rows } = await sql<ActivityDayRow>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day,
        sum(validations_passed)::int AS "validationsPassed", sum(validations_failed)::int AS "validationsFailed",
        sum(builds_stored)::int AS "buildsStored", sum(builds_failed)::int AS "buildsFailed",
        sum(builds_published)::int AS "buildsPublished"
      FROM (
        SELECT date_trunc('day', validated_at AT TIME ZONE ${timeZone}) AS day,
          CASE WHEN (report->>'passed')::boolean THEN 1 ELSE 0 END AS validations_passed,
          CASE WHEN (report->>'passed')::boolean THEN 0 ELSE 1 END AS validations_failed,
          0 AS builds_stored, 0 AS builds_failed, 0 AS builds_published
        FROM signature_changes WHERE validated_at >= ${since}
        UNION ALL
        SELECT date_trunc('day', finished_at AT TIME ZONE ${timeZone}), 0, 0,
          CASE WHEN status = 'failed' THEN 0 ELSE 1 END, CASE WHEN status = 'failed' THEN 1 ELSE 0 END, 0
        FROM database_builds WHERE finished_at >= ${since}
        UNION ALL
        SELECT date_trunc('day', published_at AT TIME ZONE ${timeZone}), 0, 0, 0, 0, 1
        FROM database_builds WHERE published_at >= ${since}
      ) events
      GROUP BY day ORDER BY day`.execute(this.db);
    return rows;
  }
}
