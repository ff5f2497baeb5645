/**
 * Database currency, as the product defines it: a submission is accepted only from a product running the
 * newest published release, or the one before it while the newest is younger than the grace period
 * (updates take time to reach every machine).
 */
export interface PublishedRelease {
  version: number;
  releasedAt: Date;
}

export type ClaimedDatabase = { version: number } | { releasedAt: Date };

export type CurrencyVerdict =
  | { current: true; release: PublishedRelease }
  | { current: false; reason: 'no_release' | 'unknown' | 'outdated'; latest?: PublishedRelease };

/** Products show release times rounded to the minute; allow that much slack when matching one. */
export const RELEASE_TIME_TOLERANCE_MS = 60_000;

/**
 * @param newestFirst the channel's published releases, newest first (only the first two matter, plus any
 *   that a `releasedAt` claim could point at).
 */
export function checkCurrency(
  claimed: ClaimedDatabase,
  newestFirst: PublishedRelease[],
  now: Date,
  graceMs: number,
): CurrencyVerdict {
  const [newest, previous] = newestFirst;
  if (!newest) return { current: false, reason: 'no_release' };

  const release =
    'version' in claimed
      ? newestFirst.find((r) => r.version === claimed.version)
      : newestFirst.find((r) => r.releasedAt.getTime() <= claimed.releasedAt.getTime() + RELEASE_TIME_TOLERANCE_MS);
  if (!release) return { current: false, reason: 'unknown', latest: newest };
  if (release.version === newest.version) return { current: true, release };
  const newestAge = now.getTime() - newest.releasedAt.getTime();
  if (previous && release.version === previous.version && newestAge < graceMs) return { current: true, release };
  return { current: false, reason: 'outdated', latest: newest };
}
