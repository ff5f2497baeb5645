import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { AdvisoryLock, type DatabaseRelease, type DB } from '@sigdesk/db';
import { RELEASE_TIME_TOLERANCE_MS } from './currency';

/**
 * The lock of a database channel, to the end of the caller's transaction: everything that gives the channel
 * a version (a build taking its number, publishing a build, registering a baseline release) holds it, so
 * that each sees the versions the others took.
 */
export async function lockDatabaseChannel(trx: Transaction<DB>, channel: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.DatabaseChannel}::int, hashtext(${channel}))`.execute(trx);
}

@Injectable()
export class ReleasesRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /**
   * The published releases a currency check needs, newest first: the newest two, and the one a claim
   * points at (by version, or the one in force at a release time).
   */
  async publishedForCheck(
    channel: string,
    claim: { version: number } | { releasedAt: Date },
  ): Promise<DatabaseRelease[]> {
    const base = this.db
      .selectFrom('database_releases')
      .selectAll()
      .where('channel', '=', channel)
      .where('published', '=', true);
    const [newest, claimed] = await Promise.all([
      base.orderBy('version', 'desc').limit(2).execute(),
      'version' in claim
        ? base.where('version', '=', claim.version).execute()
        : base
            .where('released_at', '<=', new Date(claim.releasedAt.getTime() + RELEASE_TIME_TOLERANCE_MS))
            .orderBy('version', 'desc')
            .limit(1)
            .execute(),
    ]);
    const byVersion = new Map([...newest, ...claimed].map((r) => [r.version, r]));
    return [...byVersion.values()].sort((a, b) => b.version - a.version);
  }

  current(channel: string): Promise<DatabaseRelease | undefined> {
    return this.db
      .selectFrom('database_releases')
      .selectAll()
      .where('channel', '=', channel)
      .where('published', '=', true)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** The newest `count` published releases of a channel, newest first. */
  newestPublished(channel: string, count: number): Promise<DatabaseRelease[]> {
    return this.db
      .selectFrom('database_releases')
      .selectAll()
      .where('channel', '=', channel)
      .where('published', '=', true)
      .orderBy('version', 'desc')
      .limit(count)
      .execute();
  }

  /**
   * Registers a published release (a baseline, published outside sigdesk); versions only grow, so it is refused
   * (with the highest version taken) unless its version is above every release and every build of the channel.
   */
  async insertPublished(input: {
    channel: string;
    version: number;
    releasedAt: Date;
    source: 'baseline' | 'build';
  }): Promise<{ release?: DatabaseRelease; highestVersion?: number }> {
    return this.db.transaction().execute(async (trx) => {
      await lockDatabaseChannel(trx, input.channel);
      const highestVersion = await this.highestVersionTaken(trx, input.channel);
      if (highestVersion !== null && highestVersion >= input.version) return { highestVersion };
      const release = await trx
        .insertInto('database_releases')
        .values({
          channel: input.channel,
          version: input.version,
          released_at: input.releasedAt,
          published: true,
          source: input.source,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { release };
    });
  }

  /** The newest release of the channel, in the caller's transaction (which holds the channel's lock). */
  newestIn(trx: Transaction<DB>, channel: string): Promise<Pick<DatabaseRelease, 'version'> | undefined> {
    return trx
      .selectFrom('database_releases')
      .select('version')
      .where('channel', '=', channel)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * The highest version the channel has given: of its releases, and of its builds whatever their status, since
   * a build's number is never given again, not even to a release. (The builds library sits above this one, so
   * its table is read here rather than through its repository.)
   */
  private async highestVersionTaken(trx: Transaction<DB>, channel: string): Promise<number | null> {
    const { rows } = await sql<{ version: number | null }>`
      SELECT greatest(
        (SELECT max(version) FROM database_releases WHERE channel = ${channel}),
        (SELECT max(version) FROM database_builds WHERE channel = ${channel})) AS version`.execute(trx);
    return rows[0]?.version ?? null;
  }

  /** Inside a caller's transaction that has already checked the order of versions. */
  async insertPublishedIn(
    trx: Transaction<DB>,
    input: { channel: string; version: number; releasedAt: Date; source: 'baseline' | 'build' },
  ): Promise<void> {
    await trx
      .insertInto('database_releases')
      .values({
        channel: input.channel,
        version: input.version,
        released_at: input.releasedAt,
        published: true,
        source: input.source,
      })
      .execute();
  }
}
