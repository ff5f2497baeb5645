import { Injectable, Logger } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { JobOf, JobName } from '@sigdesk/queues';
import { ClockEvent, DueClock, ReviewRepository } from './review.repository';

const SWEEP_PAGE_SIZE = 500;

/**
 * Warnings before a response is due and breaches after it. Each is recorded once, by a conditional update
 * that re-checks the clock in PostgreSQL: a timer that fires late, twice, or after the clock stopped or moved
 * does nothing wrong, and the sweep finds what a lost timer missed.
 */
@Injectable()
export class SlaTimers {
  private readonly logger = new Logger(SlaTimers.name);

  constructor(
    private readonly review: ReviewRepository,
    private readonly cases: CasesRepository,
  ) {}

  async check({ caseId, kind }: JobOf<JobName.CheckResponseClock>, now = new Date()): Promise<{ recorded: boolean }> {
    if (kind === 'breach') await this.record(caseId, 'warning', now);
    return { recorded: await this.record(caseId, kind, now) };
  }

  /** Records every warning and breach that is due, page by page, oldest due first. */
  async sweep(now = new Date()): Promise<{ warnings: number; breaches: number }> {
    const warnings = await this.sweepDue('warning', now);
    const breaches = await this.sweepDue('breach', now);
    if (warnings || breaches) this.logger.log({ warnings, breaches }, 'response clocks swept');
    return { warnings, breaches };
  }

  private async sweepDue(kind: ClockEvent, now: Date): Promise<number> {
    let recorded = 0;
    let after: DueClock | undefined;
    for (;;) {
      const page = await this.review.clocksDue(kind, now, after, SWEEP_PAGE_SIZE);
      for (const due of page) recorded += Number(await this.record(due.id, kind, now));
      // keyset paging: a clock that could not be recorded (changed meanwhile) is not read again
      if (page.length < SWEEP_PAGE_SIZE) return recorded;
      after = page[page.length - 1];
    }
  }

  private async record(caseId: string, kind: ClockEvent, now: Date): Promise<boolean> {
    return this.review.transaction(async (trx) => {
      const recorded = await this.review.recordClockEvent(trx, caseId, kind, now);
      if (!recorded) return false;
      await this.cases.addEvent(trx, {
        caseId,
        type: kind === 'warning' ? 'sla_warning' : 'sla_breached',
        actorKeyId: null,
        actorRole: 'system',
        data: { responseDueAt: recorded.responseDueAt.toISOString() },
      });
      this.logger.warn({ caseId, kind }, kind === 'warning' ? 'response due soon' : 'response overdue');
      return true;
    });
  }
}
