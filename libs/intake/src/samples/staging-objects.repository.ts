import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import { formatProcessIdentity, isKnownGone, parseProcessIdentity, THIS_PROCESS } from '../process-identity';
import { UPLOAD_CLAIM_TTL_MS } from './sample-object-claims.repository';

/**
 * The staging objects requests are writing (see the migration `staging_objects`): listed before their upload
 * begins, renewed while their request runs (as upload claims are, and with their lifetime), forgotten once
 * removed.
 */
@Injectable()
export class StagingObjectsRepository {
  private readonly holder = formatProcessIdentity(THIS_PROCESS);

  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async list(key: string): Promise<void> {
    await this.db.insertInto('staging_objects').values({ key, holder: this.holder }).execute();
  }

  async renew(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .updateTable('staging_objects')
      .set({ touched_at: sql<Date>`now()` })
      .where('key', 'in', keys)
      .execute();
  }

  async forget(key: string): Promise<void> {
    await this.db.deleteFrom('staging_objects').where('key', '=', key).execute();
  }

  /**
   * Staging objects nobody writes any more, a page at a time in key order after `after`: their holder is a process
   * of this machine that is gone, or has not renewed them for an upload claim's lifetime. `last`: the page's last
   * key (null when the page was empty), where the next page starts.
   */
  async abandoned(after: string | null, limit: number): Promise<{ keys: string[]; last: string | null }> {
    let query = this.db
      .selectFrom('staging_objects')
      .select([
        'key',
        'holder',
        sql<boolean>`touched_at < now() - make_interval(secs => ${UPLOAD_CLAIM_TTL_MS / 1000})`.as('stale'),
      ])
      .orderBy('key')
      .limit(limit);
    if (after !== null) query = query.where('key', '>', after);
    const rows = await query.execute();
    const keys = rows
      .filter((row) => {
        const holder = parseProcessIdentity(row.holder);
        return row.stale || (holder !== null && isKnownGone(holder));
      })
      .map((row) => row.key);
    return { keys, last: rows.at(-1)?.key ?? null };
  }
}
