import { Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { BusinessCalendar, responseTargetHours, Severity } from '@sigdesk/calendar';
import { AppConfig } from '@sigdesk/config';
import type { Case, ContractTier, DB, Organization } from '@sigdesk/db';
import { JobName, jobIdFor, OutboxRepository } from '@sigdesk/queues';

export interface ClockPlan {
  responseDueAt: Date;
  /** When the warning is due; null when it would be in the past already. */
  warningAt: Date | null;
}

/**
 * The response clock of a case, in the customer's working hours: when the qualified response is due, when to
 * warn, and the timers that fire then. Timers are delayed jobs written to the outbox with the change that sets
 * them; the periodic sweep re-derives anything a lost timer would have done from these columns.
 */
@Injectable()
export class ResponseClock {
  private readonly calendars = new Map<string, BusinessCalendar>();

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: OutboxRepository,
  ) {}

  responseDueAt(organization: Organization, tier: ContractTier, severity: number, from: Date): Date {
    return this.calendarOf(organization).addWorkingTime(from, this.targetMs(tier, severity));
  }

  targetMs(tier: ContractTier, severity: number): number {
    return responseTargetHours(this.config.responseTargets, tier, severity as Severity) * 3_600_000;
  }

  /** The clock of a new case. */
  start(organization: Organization, tier: ContractTier, severity: number, now: Date): ClockPlan {
    const responseDueAt = this.responseDueAt(organization, tier, severity, now);
    return { responseDueAt, warningAt: this.warningAt(organization, tier, severity, responseDueAt, now) };
  }

  /** A paused clock restarts with the working time it had left. */
  resume(organization: Organization, current: Case, now: Date): ClockPlan {
    const calendar = this.calendarOf(organization);
    const remaining = calendar.workingTimeBetween(current.sla_paused_at!, current.response_due_at!);
    const responseDueAt = calendar.addWorkingTime(now, remaining);
    return {
      responseDueAt,
      warningAt: current.sla_warned_at
        ? null
        : this.warningAt(organization, current.tier, current.severity, responseDueAt, now),
    };
  }

  /** Timers for the warning and the breach, relayed after commit; stale ones find nothing to do. */
  async scheduleTimers(trx: Transaction<DB>, caseId: string, plan: ClockPlan): Promise<void> {
    if (plan.warningAt) {
      await this.outbox.add(
        trx,
        JobName.CheckResponseClock,
        { caseId, kind: 'warning' },
        jobIdFor(JobName.CheckResponseClock, `${caseId}-warning-${plan.warningAt.getTime()}`),
        plan.warningAt,
      );
    }
    await this.outbox.add(
      trx,
      JobName.CheckResponseClock,
      { caseId, kind: 'breach' },
      jobIdFor(JobName.CheckResponseClock, `${caseId}-breach-${plan.responseDueAt.getTime()}`),
      plan.responseDueAt,
    );
  }

  calendarOf(organization: Organization): BusinessCalendar {
    const key = [
      organization.timezone,
      organization.country,
      organization.working_days.join(','),
      organization.work_start,
      organization.work_end,
    ].join('|');
    let calendar = this.calendars.get(key);
    if (!calendar) {
      calendar = new BusinessCalendar({
        timeZone: organization.timezone,
        country: organization.country,
        workingDays: organization.working_days,
        workStart: organization.work_start,
        workEnd: organization.work_end,
      });
      this.calendars.set(key, calendar);
    }
    return calendar;
  }

  private warningAt(organization: Organization, tier: ContractTier, severity: number, dueAt: Date, now: Date) {
    const calendar = this.calendarOf(organization);
    const remaining = calendar.workingTimeBetween(now, dueAt);
    const leftAtWarning = this.targetMs(tier, severity) * (1 - this.config.review.slaWarningFraction);
    if (remaining <= leftAtWarning) return null;
    return calendar.addWorkingTime(now, remaining - leftAtWarning);
  }
}
