import { Inject, Injectable, Logger } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { CasesRepository } from '@sigdesk/cases';
import type { DB } from '@sigdesk/db';
import { JobOf, JobName } from '@sigdesk/queues';
import { ReviewRepository } from './review.repository';

type ClockEvent = 'warning' | 'breach';

/**
 * Warnings before a response is due and breaches after it. Each is recorded once, by a conditional update
 * that re-checks the clock in PostgreSQL: a timer that fires late, twice, or after the clock stopped or moved
 * does nothing wrong, and the sweep finds what a lost timer missed.
 */
@Injectable()
export class SlaTimers {
  private readonly logger = new Logger(SlaTimers.name);

  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    private readonly review: ReviewRepository,
    private readonly cases: CasesRepository,
  ) {}

  async check({ caseId, kind }: JobOf<JobName.CheckResponseClock>, now = new Date()): Promise<{ recorded: boolean }> {
    if (kind === 'breach') await this.record(caseId, 'warning', now);
    return { recorded: await this.record(caseId, kind, now) };
  }

  async sweep(now = new Date()): Promise<{ warnings: number; breaches: number }> {
    let warnings = 0;
    let breaches = 0;
    for (const due of await this.review.warningsDue(now, 500))
      warnings += Number(await this.record(due.id, 'warning', now));
    for (const due of await this.review.breachesDue(now, 500))
      breaches += Number(await this.record(due.id, 'breach', now));
    if (warnings || breaches) this.logger.log({ warnings, breaches }, 'response clocks swept');
    return { warnings, breaches };
  }

  private async record(caseId: string, kind: ClockEvent, now: Date): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const column = kind === 'warning' ? sql.ref('sla_warned_at') : sql.ref('sla_breached_at');
      const dueColumn = kind === 'warning' ? sql.ref('sla_warning_at') : sql.ref('response_due_at');
      const { rows } = await sql<{ response_due_at: Date }>`
        UPDATE cases SET ${column} = ${now}
        WHERE id = ${caseId} AND ${column} IS NULL AND ${dueColumn} <= ${now}
          AND first_response_at IS NULL AND sla_paused_at IS NULL
          AND status IN ('received', 'queued', 'in_review')
        RETURNING response_due_at`.execute(trx);
      if (rows.length === 0) return false;
      await this.cases.addEvent(trx, {
        caseId,
        type: kind === 'warning' ? 'sla_warning' : 'sla_breached',
        actorKeyId: null,
        actorRole: 'system',
        data: { responseDueAt: rows[0].response_due_at.toISOString() },
      });
      this.logger.warn({ caseId, kind }, kind === 'warning' ? 'response due soon' : 'response overdue');
      return true;
    });
  }
}
