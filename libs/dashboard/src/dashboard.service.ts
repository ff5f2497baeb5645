import { Injectable } from '@nestjs/common';
import type { ContractTier } from '@sigdesk/db';
import type { DashboardOverview } from './dashboard-overview.schema';
import { DashboardRepository, type FixTimeRow } from './dashboard.repository';

export interface DashboardQuery {
  /** how many whole days, today included */
  days: number;
  /** the IANA time zone days are counted in */
  timeZone: string;
}

/** The local dates from `first` to `last` (YYYY-MM-DD), every one. */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let at = new Date(`${first}T00:00:00Z`); dates.length < 400; at.setUTCDate(at.getUTCDate() + 1)) {
    const date = at.toISOString().slice(0, 10);
    if (date > last) break;
    dates.push(date);
  }
  return dates;
}

/** A date as `timeZone` writes it, YYYY-MM-DD. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

const fixTime = (row: FixTimeRow) => ({
  tier: row.tier,
  changes: row.changes,
  approvalToBuildSeconds: { p50: row.buildP50, p90: row.buildP90, max: row.buildMax },
  reportToBuildSeconds: { p50: row.reportP50, p90: row.reportP90, max: row.reportMax },
});

/**
 * What the whole team sees at a glance: the queue's depth by tier and severity, response clocks met and breached
 * per day, how long fixes took per tier (and per day), validations and builds per day. Every day of the period is
 * listed, with zeros where nothing happened, so that a chart needs no gap filling.
 */
@Injectable()
export class DashboardService {
  constructor(private readonly dashboard: DashboardRepository) {}

  async overview(query: DashboardQuery, now = new Date()): Promise<DashboardOverview> {
    const since = await this.dashboard.periodStart(query.timeZone, query.days);
    const [depth, sla, fixes, activity] = await Promise.all([
      this.dashboard.queueDepth(),
      this.dashboard.slaByDay(since, query.timeZone),
      this.dashboard.fixTimes(since, query.timeZone),
      this.dashboard.activityByDay(since, query.timeZone),
    ]);
    const dates = datesBetween(localDate(since, query.timeZone), localDate(now, query.timeZone));
    const slaOf = new Map(sla.map((row) => [row.day, row]));
    const activityOf = new Map(activity.map((row) => [row.day, row]));

    const queue = new Map<string, { tier: ContractTier; severity: number; premium: boolean } & Counts>();
    for (const row of depth) {
      const key = `${row.tier}/${row.premium}/${row.severity}`;
      const entry = queue.get(key) ?? { tier: row.tier, premium: row.premium, severity: row.severity, ...noCases() };
      entry.total += row.cases;
      entry.breached += row.breached;
      if (row.status === 'queued') entry.queued += row.cases;
      if (row.status === 'in_review') entry.inReview += row.cases;
      if (row.status === 'awaiting_customer') entry.awaitingCustomer += row.cases;
      queue.set(key, entry);
    }
    const groups = [...queue.values()].sort(
      (a, b) =>
        Number(b.tier === 'msa_start') - Number(a.tier === 'msa_start') ||
        Number(b.premium) - Number(a.premium) ||
        a.severity - b.severity,
    );

    return {
      period: { from: since.toISOString(), days: query.days, timeZone: query.timeZone },
      queue: {
        total: groups.reduce((sum, g) => sum + g.total, 0),
        breached: groups.reduce((sum, g) => sum + g.breached, 0),
        groups,
      },
      responseClocks: dates.map((day) => ({
        day,
        met: slaOf.get(day)?.met ?? 0,
        breached: slaOf.get(day)?.breached ?? 0,
      })),
      fixTimes: {
        byTier: fixes.filter((row) => row.day === null).map(fixTime),
        byDay: fixes.flatMap((row) => (row.day === null ? [] : [{ day: row.day, ...fixTime(row) }])),
      },
      activity: dates.map((day) => {
        const row = activityOf.get(day);
        return {
          day,
          validationsPassed: row?.validationsPassed ?? 0,
          validationsFailed: row?.validationsFailed ?? 0,
          buildsStored: row?.buildsStored ?? 0,
          buildsFailed: row?.buildsFailed ?? 0,
          buildsPublished: row?.buildsPublished ?? 0,
        };
      }),
    };
  }
}

interface Counts {
  total: number;
  queued: number;
  inReview: number;
  awaitingCustomer: number;
  breached: number;
}

const noCases = (): Counts => ({ total: 0, queued: 0, inReview: 0, awaitingCustomer: 0, breached: 0 });
