import { checkCurrency, PublishedRelease } from './currency';

const HOUR = 3_600_000;
const now = new Date('2026-11-25T12:00:00Z');
const release = (version: number, hoursAgo: number): PublishedRelease => ({
  version,
  releasedAt: new Date(now.getTime() - hoursAgo * HOUR),
});
const grace = 3 * HOUR;

describe(checkCurrency.name, () => {
  const releases = [release(12, 1), release(11, 30), release(10, 60)];

  it('accepts the newest published release', () => {
    expect(checkCurrency({ version: 12 }, releases, now, grace)).toMatchObject({ current: true });
  });

  it('accepts the release before it while the newest is younger than the grace period', () => {
    expect(checkCurrency({ version: 11 }, releases, now, grace)).toMatchObject({ current: true });
  });

  it('refuses the release before it once the grace period is over', () => {
    const later = new Date(now.getTime() + 2 * HOUR);
    expect(checkCurrency({ version: 11 }, releases, later, grace)).toEqual({
      current: false,
      reason: 'outdated',
      latest: releases[0],
    });
  });

  it('refuses anything older than the release before the newest, even within the grace period', () => {
    expect(checkCurrency({ version: 10 }, releases, now, grace)).toMatchObject({ current: false, reason: 'outdated' });
  });

  it('refuses versions it does not know, including ones from the future', () => {
    expect(checkCurrency({ version: 13 }, releases, now, grace)).toMatchObject({ current: false, reason: 'unknown' });
    expect(checkCurrency({ version: 3 }, releases, now, grace)).toMatchObject({ current: false, reason: 'unknown' });
  });

  it('matches a release time to the release in force at that time, to the minute', () => {
    const newestTime = releases[0].releasedAt;
    expect(checkCurrency({ releasedAt: new Date(newestTime.getTime() - 30_000) }, releases, now, grace)).toMatchObject({
      current: true,
      release: releases[0],
    });
    expect(
      checkCurrency({ releasedAt: new Date(releases[1].releasedAt.getTime() + HOUR) }, releases, now, grace),
    ).toMatchObject({ current: true, release: releases[1] });
    expect(
      checkCurrency({ releasedAt: new Date(releases[2].releasedAt.getTime()) }, releases, now, grace),
    ).toMatchObject({ current: false, reason: 'outdated' });
  });

  it('refuses a release time before any known release', () => {
    const ancient = new Date(releases[2].releasedAt.getTime() - 24 * HOUR);
    expect(checkCurrency({ releasedAt: ancient }, releases, now, grace)).toMatchObject({ reason: 'unknown' });
  });

  it('refuses everything on a channel with no published release', () => {
    expect(checkCurrency({ version: 1 }, [], now, grace)).toEqual({ current: false, reason: 'no_release' });
  });

  it('with a zero grace period accepts only the newest', () => {
    expect(checkCurrency({ version: 11 }, releases, now, 0)).toMatchObject({ current: false });
  });
});
