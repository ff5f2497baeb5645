import type { CurrentDatabase } from '../api/portal';
import { checkDatabaseVersion } from './currency';

const now = new Date('2026-11-30T12:00:00Z');
const database = (releasedMinutesAgo: number): CurrentDatabase => ({
  channel: 'default',
  version: 102,
  releasedAt: new Date(now.getTime() - releasedMinutesAgo * 60_000).toISOString(),
  previous: { version: 101, releasedAt: '2026-11-29T08:00:00Z' },
  graceMinutes: 180,
});

describe('checkDatabaseVersion', () => {
  it('accepts the newest release', () => {
    expect(checkDatabaseVersion(102, database(600), now)).toEqual({ state: 'current' });
  });

  it('accepts the release before while the newest is within its grace period, and not after', () => {
    expect(checkDatabaseVersion(101, database(60), now)).toEqual({ state: 'current' });
    expect(checkDatabaseVersion(101, database(181), now)).toEqual({ state: 'outdated', latest: 102 });
  });

  it('calls an older release outdated and a version above the newest unknown, naming the newest', () => {
    expect(checkDatabaseVersion(100, database(60), now)).toEqual({ state: 'outdated', latest: 102 });
    expect(checkDatabaseVersion(0, database(60), now)).toEqual({ state: 'outdated', latest: 102 });
    expect(checkDatabaseVersion(103, database(60), now)).toEqual({ state: 'unknown', latest: 102 });
  });

  it('has no release before the first one', () => {
    const first = { ...database(10), previous: null };
    expect(checkDatabaseVersion(101, first, now)).toEqual({ state: 'outdated', latest: 102 });
  });
});
