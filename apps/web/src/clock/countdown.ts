/**
 * A response clock counting down between two reads of the API. The API says where the clock stands in working time
 * (`remainingWorkingSeconds`, by the customer's business calendar) and for how long from then it keeps counting
 * second by second (`countingForSeconds`: to the end of the working hours); past that the time left stands still
 * until the page reads the case again. No business-hours arithmetic is redone here.
 */
export interface CountdownClock {
  state: 'running' | 'paused' | 'met' | 'breached' | 'none';
  remainingWorkingSeconds: number | null;
  countingForSeconds?: number;
  /** the whole response time of the case, for its risk */
  targetWorkingSeconds?: number;
}

/** Working seconds left at `nowMs`, for a clock read at `readAtMs`; null when the clock has no time left to show. */
export function remainingAt(clock: CountdownClock, readAtMs: number, nowMs: number): number | null {
  if (clock.remainingWorkingSeconds === null) return null;
  if (clock.state !== 'running') return clock.remainingWorkingSeconds;
  const elapsed = Math.min(Math.max(0, (nowMs - readAtMs) / 1000), clock.countingForSeconds ?? 0);
  return Math.max(0, Math.floor(clock.remainingWorkingSeconds - elapsed));
}

/** Under this share of its response time left, a running clock is at risk. */
export const AT_RISK_SHARE = 0.25;

/**
 * How the clock looks: breached (past due, or the countdown reached zero), at risk (under a quarter of the response
 * time left), fine (running), or its plain state.
 */
export type ClockLook = 'breached' | 'atRisk' | 'fine' | 'paused' | 'met' | 'none';

export function clockLook(clock: CountdownClock, remaining: number | null): ClockLook {
  if (clock.state !== 'running') return clock.state;
  if (remaining === null || remaining <= 0) return 'breached';
  if (clock.targetWorkingSeconds && remaining < clock.targetWorkingSeconds * AT_RISK_SHARE) return 'atRisk';
  return 'fine';
}
