import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import type { DatabaseRelease } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { checkCurrency, ClaimedDatabase } from './currency';
import { ReleasesRepository } from './releases.repository';

export function releaseView(release: DatabaseRelease) {
  return { channel: release.channel, version: release.version, releasedAt: release.released_at.toISOString() };
}

@Injectable()
export class ReleasesService {
  constructor(
    private readonly releases: ReleasesRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * The newest published release, with what a client needs to apply the currency check itself before an upload
   * ({@link checkCurrency}): the release before it and the grace period during which that one stays current.
   */
  async current(channel = this.config.releases.defaultChannel) {
    const [release, previous] = await this.releases.newestPublished(channel, 2);
    if (!release) throw AppError.notFound(`A published database release on channel "${channel}"`);
    return {
      ...releaseView(release),
      previous: previous ? { version: previous.version, releasedAt: previous.released_at.toISOString() } : null,
      graceMinutes: this.config.releases.graceMs / 60_000,
    };
  }

  /**
   * Throws a 422 that tells the customer what to update to, unless the claimed databases are current.
   * @returns the release the product runs.
   */
  async assertCurrent(channel: string, claimed: ClaimedDatabase, now = new Date()): Promise<DatabaseRelease> {
    const releases = await this.releases.publishedForCheck(channel, claimed);
    const verdict = checkCurrency(
      claimed,
      releases.map((r) => ({ version: r.version, releasedAt: r.released_at })),
      now,
      this.config.releases.graceMs,
    );
    if (verdict.current) return releases.find((r) => r.version === verdict.release.version)!;

    const said =
      'version' in claimed ? `version ${claimed.version}` : `released at ${claimed.releasedAt.toISOString()}`;
    if (verdict.reason === 'no_release') {
      throw AppError.unprocessable(
        'no_database_release',
        `No antivirus database release is published on channel "${channel}" yet, so no submission can be checked against it.`,
        { channel },
      );
    }
    const latest = verdict.latest!;
    const what = verdict.reason === 'unknown' ? 'is not a published release we know of' : 'is outdated';
    throw AppError.unprocessable(
      verdict.reason === 'unknown' ? 'unknown_database_version' : 'outdated_databases',
      `The antivirus databases you used (${said}) ${what}. Update your product to database version ${latest.version} ` +
        `(released ${latest.releasedAt.toISOString()}), check whether the problem remains, and submit again with that version.`,
      { channel, currentVersion: latest.version, currentReleasedAt: latest.releasedAt.toISOString() },
    );
  }

  async registerBaseline(input: { channel?: string; version: number; releasedAt: Date }) {
    const channel = input.channel ?? this.config.releases.defaultChannel;
    const { release, highestVersion } = await this.releases.insertPublished({ ...input, channel, source: 'baseline' });
    if (!release) {
      throw AppError.conflict(
        'version_not_newer',
        `Channel "${channel}" already has version ${highestVersion} (a release or a build); release versions only grow.`,
        { channel, newestVersion: highestVersion },
      );
    }
    return releaseView(release);
  }
}
