import { clockLook, remainingAt, type CountdownClock } from './countdown';

const running: CountdownClock = {
  state: 'running',
  remainingWorkingSeconds: 3600,
  countingForSeconds: 600,
  targetWorkingSeconds: 6 * 3600,
};

describe('a response countdown', () => {
  it('counts down in seconds from the read while the working hours last, then stands still', () => {
    expect(remainingAt(running, 1_000_000, 1_000_000)).toBe(3600);
    expect(remainingAt(running, 1_000_000, 1_000_000 + 90_500)).toBe(3509);
    expect(remainingAt(running, 1_000_000, 1_000_000 + 600_000)).toBe(3000);
    expect(remainingAt(running, 1_000_000, 1_000_000 + 3_600_000)).toBe(3000);
  });

  it('does not count outside working hours, nor a paused or stopped clock', () => {
    expect(remainingAt({ ...running, countingForSeconds: 0 }, 0, 600_000)).toBe(3600);
    expect(remainingAt({ ...running, state: 'paused' }, 0, 600_000)).toBe(3600);
    expect(remainingAt({ state: 'met', remainingWorkingSeconds: null }, 0, 600_000)).toBeNull();
  });

  it('never goes below zero, and ignores a clock read in the future of this browser', () => {
    expect(remainingAt({ ...running, remainingWorkingSeconds: 30, countingForSeconds: 600 }, 0, 60_000)).toBe(0);
    expect(remainingAt(running, 10_000, 0)).toBe(3600);
  });

  it('is fine, then at risk under a quarter of the response time, then breached', () => {
    expect(clockLook(running, 3 * 3600)).toBe('fine');
    expect(clockLook(running, 1.5 * 3600)).toBe('fine');
    expect(clockLook(running, 1.5 * 3600 - 1)).toBe('atRisk');
    expect(clockLook(running, 0)).toBe('breached');
    expect(clockLook({ state: 'breached', remainingWorkingSeconds: null }, null)).toBe('breached');
    expect(clockLook({ ...running, targetWorkingSeconds: undefined }, 60)).toBe('fine');
    expect(clockLook({ state: 'paused', remainingWorkingSeconds: 60 }, 60)).toBe('paused');
  });
});
