import type { Case } from '@sigdesk/db';

export type ResponseClockState = 'running' | 'paused' | 'met' | 'breached' | 'none';

export interface ResponseClockView {
  state: ResponseClockState;
  /** Working seconds left to the qualified response while running or paused; null otherwise. */
  remainingWorkingSeconds: number | null;
  /**
   * Seconds from now during which the remaining time keeps counting down second by second: to the end of the
   * working hours it is in (or to the due time), 0 when the clock does not count now (paused, stopped, outside
   * working hours). A client ticks its countdown for that long, then reads the case again.
   */
  countingForSeconds: number;
}

/** The calendar arithmetic a clock view needs (a {@link BusinessCalendar} has it). */
export interface ClockCalendar {
  workingTimeBetween(from: Date, to: Date): number;
  workingStretchEnd(at: Date): Date | null;
}

/**
 * Where a case's response clock stands, for a person: running (with the working time left, as the customer's
 * business calendar counts it), paused while the analysts wait for the customer, met, or breached. Clients show
 * this instead of re-doing business-hours arithmetic of their own.
 */
export function responseClockView(
  found: Pick<Case, 'response_due_at' | 'first_response_at' | 'sla_paused_at' | 'sla_breached_at' | 'status'>,
  calendar: ClockCalendar,
  now: Date,
): ResponseClockView {
  const due = found.response_due_at;
  const still = (state: ResponseClockState, remainingWorkingSeconds: number | null = null): ResponseClockView => ({
    state,
    remainingWorkingSeconds,
    countingForSeconds: 0,
  });
  if (!due) return still('none');
  if (found.first_response_at) {
    const late = found.sla_breached_at !== null || found.first_response_at.getTime() > due.getTime();
    return still(late ? 'breached' : 'met');
  }
  if (found.sla_breached_at) return still('breached');
  if (found.sla_paused_at) {
    return still('paused', Math.floor(calendar.workingTimeBetween(found.sla_paused_at, due) / 1000));
  }
  if (!['received', 'queued', 'in_review'].includes(found.status)) return still('none');
  if (now.getTime() >= due.getTime()) return still('breached');
  const stretchEnd = calendar.workingStretchEnd(now);
  return {
    state: 'running',
    remainingWorkingSeconds: Math.floor(calendar.workingTimeBetween(now, due) / 1000),
    countingForSeconds: stretchEnd
      ? Math.floor((Math.min(stretchEnd.getTime(), due.getTime()) - now.getTime()) / 1000)
      : 0,
  };
}
