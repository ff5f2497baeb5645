import { canTransition, CASE_TRANSITIONS } from './case-status';

describe('case statuses', () => {
  it('moves a received case to the queue', () => {
    expect(canTransition('received', 'queued')).toBe(true);
  });

  it('never leaves a final status', () => {
    expect(CASE_TRANSITIONS.closed).toEqual([]);
    expect(CASE_TRANSITIONS.rejected).toEqual([]);
  });

  it('fixes a case only through a scheduled fix or an already-fixed triage', () => {
    expect(canTransition('confirmed', 'fixed')).toBe(false);
    expect(canTransition('fix_scheduled', 'fixed')).toBe(true);
  });
});
