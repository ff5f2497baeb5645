import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { AdvisoryLock, type DB } from '@sigdesk/db';

/**
 * How long a claim protects what it claims when its holder does not end it (the process died). An upload claim
 * covers a submission from before its uploads to after its commit; a delete claim, one object's deletion.
 */
const UPLOAD_CLAIM_TTL = sql`interval '6 hours'`;
const DELETE_CLAIM_TTL = sql`interval '10 minutes'`;

export interface UploadClaim {
  claims: Array<{ id: string; sha256: string }>;
  /** Of the claimed samples, those a samples row already records: their objects are stored and kept. */
  known: Set<string>;
}

/**
 * Claims on samples' objects in S3, which submissions and the orphan sweeper take under the same per-sample
 * advisory lock (in sha256 order when there are several), so that each sees the other's claims:
 * - a submission (or a reply) claims its samples before it decides which to upload, and keeps the claims until
 *   its transaction has recorded them, or failed;
 * - the sweeper claims an object's deletion only when no samples row records it and nobody claims its upload,
 *   and a submission waits while a deletion is claimed, then uploads the sample again since it is not recorded.
 */
@Injectable()
export class SampleObjectClaimsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** Upload claims on these samples; null while the deletion of one of their objects is claimed. */
  claimUploads(hashes: string[]): Promise<UploadClaim | null> {
    const unique = [...new Set(hashes)].sort();
    if (unique.length === 0) return Promise.resolve({ claims: [], known: new Set() });
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx, unique);
      const deleting = await trx
        .selectFrom('sample_object_claims')
        .select('sha256')
        .where('sha256', 'in', unique)
        .where('purpose', '=', 'delete')
        .where('claimed_at', '>', sql<Date>`now() - ${DELETE_CLAIM_TTL}`)
        .executeTakeFirst();
      if (deleting) return null;
      const claims = await trx
        .insertInto('sample_object_claims')
        .values(unique.map((sha256) => ({ sha256, purpose: 'upload' as const })))
        .returning(['id', 'sha256'])
        .execute();
      const known = await trx.selectFrom('samples').select('sha256').where('sha256', 'in', unique).execute();
      return { claims, known: new Set(known.map((k) => k.sha256)) };
    });
  }

  /**
   * Ends upload claims. Returns the samples whose claim was no longer there: it had expired and a sweeper may
   * have removed the object since.
   */
  async releaseUploads(claim: UploadClaim): Promise<string[]> {
    if (claim.claims.length === 0) return [];
    const released = await this.db
      .deleteFrom('sample_object_claims')
      .where(
        'id',
        'in',
        claim.claims.map((c) => c.id),
      )
      .returning('id')
      .execute();
    const ended = new Set(released.map((r) => r.id));
    return claim.claims.filter((c) => !ended.has(c.id)).map((c) => c.sha256);
  }

  /**
   * The sweeper's claim to delete a sample's object: granted (its id) only when no samples row records the
   * sample and no upload or deletion of it is claimed. Expired claims of the sample are removed on the way.
   */
  claimDeletion(sha256: string): Promise<string | null> {
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx, [sha256]);
      await trx
        .deleteFrom('sample_object_claims')
        .where('sha256', '=', sha256)
        .where((eb) =>
          eb.or([
            eb.and([eb('purpose', '=', 'upload'), eb('claimed_at', '<=', sql<Date>`now() - ${UPLOAD_CLAIM_TTL}`)]),
            eb.and([eb('purpose', '=', 'delete'), eb('claimed_at', '<=', sql<Date>`now() - ${DELETE_CLAIM_TTL}`)]),
          ]),
        )
        .execute();
      const recorded = await trx.selectFrom('samples').select('sha256').where('sha256', '=', sha256).executeTakeFirst();
      if (recorded) return null;
      const claimed = await trx
        .selectFrom('sample_object_claims')
        .select('id')
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      if (claimed) return null;
      const claim = await trx
        .insertInto('sample_object_claims')
        .values({ sha256, purpose: 'delete' })
        .returning('id')
        .executeTakeFirstOrThrow();
      return claim.id;
    });
  }

  async releaseDeletion(id: string): Promise<void> {
    await this.db.deleteFrom('sample_object_claims').where('id', '=', id).execute();
  }

  /** Per-sample locks, always taken in sha256 order: two holders of several never wait for each other in a cycle. */
  private async lock(trx: Transaction<DB>, sortedHashes: string[]): Promise<void> {
    for (const sha256 of sortedHashes) {
      await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.SampleObject}::int, hashtext(${sha256}))`.execute(trx);
    }
  }
}
