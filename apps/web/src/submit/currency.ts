import { checkCurrency } from '../../../../libs/releases/src/currency';
import type { CurrentDatabase } from '../api/portal';

/** What the form tells about a database version before anything is uploaded. */
export type DatabaseVersionCheck =
  { state: 'current' } | { state: 'outdated'; latest: number } | { state: 'unknown'; latest: number };

/**
 * The API's own currency rule ({@link checkCurrency}, libs/releases), applied to what `GET /v1/databases/current`
 * tells: the newest release, or the one before it while the newest is younger than the grace period.
 */
export function checkDatabaseVersion(
  version: number,
  current: CurrentDatabase,
  now = new Date(),
): DatabaseVersionCheck {
  const releases = [current, ...(current.previous ? [current.previous] : [])].map((release) => ({
    version: release.version,
    releasedAt: new Date(release.releasedAt),
  }));
  const verdict = checkCurrency({ version }, releases, now, current.graceMinutes * 60_000);
  if (verdict.current) return { state: 'current' };
  // older releases are not listed here: any version below the newest that the rule refuses is outdated
  if (version < current.version) return { state: 'outdated', latest: current.version };
  return { state: 'unknown', latest: current.version };
}
