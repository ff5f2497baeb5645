import type { Case } from '@sigdesk/db';

export type ResponseClockState = 'running' | 'paused' | 'met' | 'breached' | 'none';

export interface ResponseClockView {
  state: ResponseClockState;
  /** Working seconds left to the qualified response while running or paused; null otherwise. */
  remainingWorkingSeconds: number | null;
}

/**
 * Where a case's response clock stands, for a person: running (with the working time left, as the customer's
 * business calendar counts it), paused while the analysts wait for the customer, met, or breached. Clients show
 * this instead of re-doing business-hours arithmetic of their own.
 */
export function responseClockView(
  found: Pick<Case, 'response_due_at' | 'first_response_at' | 'sla_paused_at' | 'sla_breached_at' | 'status'>,
  calendar: { workingTimeBetween(from: Date, to: Date): number },
  now: Date,
): ResponseClockView {
  const due = found.response_due_at;
  if (!due) return { state: 'none', remainingWorkingSeconds: null };
  if (found.first_response_at) {
    const late = found.sla_breached_at !== null || found.first_response_at.getTime() > due.getTime();
    return { state: late ? 'breached' : 'met', remainingWorkingSeconds: null };
  }
  if (found.sla_breached_at) return { state: 'breached', remainingWorkingSeconds: null };
  if (found.sla_paused_at) {
    return {
      state: 'paused',
      remainingWorkingSeconds: Math.floor(calendar.workingTimeBetween(found.sla_paused_at, due) / 1000),
    };
  }
  if (!['received', 'queued', 'in_review'].includes(found.status))
    return { state: 'none', remainingWorkingSeconds: null };
  if (now.getTime() >= due.getTime()) return { state: 'breached', remainingWorkingSeconds: null };
  return { state: 'running', remainingWorkingSeconds: Math.floor(calendar.workingTimeBetween(now, due) / 1000) };
}
