import type { Case } from '@sigdesk/db';
import { responseClockView } from './response-clock-view';

const now = new Date('2026-11-30T10:00:00Z');
const due = new Date('2026-11-30T13:20:00Z');
// every hour counts, so the working time is the plain difference
const calendar = {
  workingTimeBetween: (from: Date, to: Date) => Math.max(0, to.getTime() - from.getTime()),
  workingStretchEnd: () => new Date('2026-12-01T00:00:00Z'),
};
// working hours 09:00–12:00 UTC only
const mornings = {
  workingTimeBetween: (from: Date, to: Date) => {
    let total = 0;
    for (let t = from.getTime(); t < to.getTime(); t += 1000)
      if (new Date(t).getUTCHours() < 12 && new Date(t).getUTCHours() >= 9) total += 1000;
    return total;
  },
  workingStretchEnd: (at: Date) =>
    at.getUTCHours() >= 9 && at.getUTCHours() < 12
      ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), 12))
      : null,
};
const running = {
  response_due_at: due,
  first_response_at: null,
  sla_paused_at: null,
  sla_breached_at: null,
  status: 'queued' as Case['status'],
};

describe(responseClockView.name, () => {
  it('counts the working time left while the clock runs', () => {
    expect(responseClockView(running, calendar, now)).toEqual({
      state: 'running',
      remainingWorkingSeconds: 12_000,
      countingForSeconds: 12_000,
    });
  });

  it('counts down until the working hours end, and not at all outside them', () => {
    expect(responseClockView(running, mornings, now)).toEqual({
      state: 'running',
      remainingWorkingSeconds: 7200,
      countingForSeconds: 7200,
    });
    expect(responseClockView(running, mornings, new Date('2026-11-30T08:00:00Z'))).toEqual({
      state: 'running',
      remainingWorkingSeconds: 10_800,
      countingForSeconds: 0,
    });
  });

  it('keeps the time left at the pause while the analysts wait for the customer', () => {
    const paused = {
      ...running,
      status: 'awaiting_customer' as const,
      sla_paused_at: new Date('2026-11-30T12:20:00Z'),
    };
    expect(responseClockView(paused, calendar, now)).toEqual({
      state: 'paused',
      remainingWorkingSeconds: 3600,
      countingForSeconds: 0,
    });
  });

  it('is met by a response in time and breached by a late one, or by none past the due time', () => {
    expect(
      responseClockView({ ...running, first_response_at: new Date('2026-11-30T11:00:00Z') }, calendar, now).state,
    ).toBe('met');
    expect(
      responseClockView({ ...running, first_response_at: new Date('2026-11-30T14:00:00Z') }, calendar, now).state,
    ).toBe('breached');
    expect(responseClockView(running, calendar, new Date('2026-11-30T13:20:00Z')).state).toBe('breached');
    expect(responseClockView({ ...running, sla_breached_at: due }, calendar, now).state).toBe('breached');
  });

  it('has no clock without a due time, or once the case is out of the analysts’ hands unanswered', () => {
    expect(responseClockView({ ...running, response_due_at: null }, calendar, now).state).toBe('none');
    expect(responseClockView({ ...running, status: 'rejected' }, calendar, now).state).toBe('none');
  });
});
