import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { DatabaseRelease, DB } from '@sigdesk/db';
import { RELEASE_TIME_TOLERANCE_MS } from './currency';

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

  /**
   * Registers a published release; versions only grow, so the insert is refused (null) when the channel
   * already has this version or a newer one. Serialised per channel by a transaction-level advisory lock.
   */
  async insertPublished(input: {
    channel: string;
    version: number;
    releasedAt: Date;
    source: 'baseline' | 'build';
  }): Promise<{ release?: DatabaseRelease; newest?: DatabaseRelease }> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`database_releases:${input.channel}`}))`.execute(trx);
      const newest = await trx
        .selectFrom('database_releases')
        .selectAll()
        .where('channel', '=', input.channel)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (newest && newest.version >= input.version) return { newest };
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
