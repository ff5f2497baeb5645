import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { AdvisoryLock, type DB } from '@sigdesk/db';
import {
  formatProcessIdentity,
  isKnownGone,
  parseProcessIdentity,
  ProcessIdentity,
  THIS_PROCESS,
} from '../process-identity';

/**
 * How long a claim protects what it claims when its holder does not end it (the process died, or PostgreSQL was
 * away when it tried). An upload claim covers a submission from before its uploads to after its commit, however
 * long its uploads take: its holder renews it every UPLOAD_CLAIM_RENEW_MS meanwhile. A delete claim covers one
 * object's deletion.
 */
export const UPLOAD_CLAIM_TTL_MS = 10 * 60_000;
export const UPLOAD_CLAIM_RENEW_MS = 60_000;
const UPLOAD_CLAIM_TTL = sql`make_interval(secs => ${UPLOAD_CLAIM_TTL_MS / 1000})`;
const DELETE_CLAIM_TTL = sql`interval '10 minutes'`;

export interface UploadClaim {
  claims: Array<{ id: string; sha256: string }>;
  /** Of the claimed samples, those a samples row already records: their objects are stored and kept. */
  known: Set<string>;
}

/** A sample object whose upload has begun and that no samples row recorded when it was listed. */
export interface UnrecordedUpload {
  sha256: string;
  startedAt: Date;
}

export interface DeletionClaim {
  id: string;
  sha256: string;
  /** When the latest upload of the object began, as listed under the claim (null: not listed). */
  uploadStartedAt: Date | null;
}

/**
 * Claims on samples' objects in S3, which submissions and the orphan sweeper take under the same per-sample
 * advisory lock (in sha256 order when there are several), so that each sees the other's claims:
 * - a submission (or a reply) claims its samples before it decides which to upload, and keeps the claims until
 *   its transaction has recorded them, or failed; with the claims it lists the objects it is about to upload
 *   (sample_object_uploads), which are the sweeper's candidates until the samples are recorded;
 * - the sweeper claims an object's deletion only when no samples row records it and nobody claims its upload,
 *   and a submission waits while a deletion is claimed, then uploads the sample again since it is not recorded.
 */
@Injectable()
export class SampleObjectClaimsRepository {
  private readonly holder = formatProcessIdentity(THIS_PROCESS);

  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /**
   * Ends the upload claims of processes known to be gone (see {@link isKnownGone}: killed on this machine), so
   * that what they uploaded without recording it is the sweeper's now rather than once their claims expire.
   * Returns how many claims it ended.
   */
  async endClaimsOfGoneHolders(self: ProcessIdentity = THIS_PROCESS): Promise<number> {
    const holders = await this.db
      .selectFrom('sample_object_claims')
      .select('holder')
      .distinct()
      .where('purpose', '=', 'upload')
      .where('holder', 'like', `${self.host}-%`)
      .execute();
    const gone = holders
      .map((h) => h.holder!)
      .filter((holder) => {
        const identity = parseProcessIdentity(holder);
        return identity !== null && isKnownGone(identity, self);
      });
    if (gone.length === 0) return 0;
    const ended = await this.db
      .deleteFrom('sample_object_claims')
      .where('purpose', '=', 'upload')
      .where('holder', 'in', gone)
      .executeTakeFirst();
    return Number(ended.numDeletedRows);
  }

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
        .values(unique.map((sha256) => ({ sha256, purpose: 'upload' as const, holder: this.holder })))
        .returning(['id', 'sha256'])
        .execute();
      const rows = await trx.selectFrom('samples').select('sha256').where('sha256', 'in', unique).execute();
      const known = new Set(rows.map((k) => k.sha256));
      const uploading = unique.filter((sha256) => !known.has(sha256));
      if (uploading.length > 0) {
        // listed before the upload: if the transaction that would record it never commits, the sweeper finds it
        await trx
          .insertInto('sample_object_uploads')
          .values(uploading.map((sha256) => ({ sha256 })))
          .onConflict((oc) => oc.column('sha256').doUpdateSet({ started_at: sql<Date>`now()` }))
          .execute();
      }
      return { claims, known };
    });
  }

  /** Renews upload claims for another lifetime; claims that expired meanwhile stay ended. */
  async renewUploads(claim: UploadClaim): Promise<void> {
    if (claim.claims.length === 0) return;
    await this.db
      .updateTable('sample_object_claims')
      .set({ claimed_at: sql<Date>`now()` })
      .where(
        'id',
        'in',
        claim.claims.map((c) => c.id),
      )
      .where('claimed_at', '>', sql<Date>`now() - ${UPLOAD_CLAIM_TTL}`)
      .execute();
  }

  /**
   * Ends upload claims, and takes the samples recorded since off the sweeper's candidates. Returns the samples
   * whose claim was no longer there: it had expired and a sweeper may have removed the object since.
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
    await this.forgetRecordedUploads(claim.claims.map((c) => c.sha256));
    const ended = new Set(released.map((r) => r.id));
    return claim.claims.filter((c) => !ended.has(c.id)).map((c) => c.sha256);
  }

  /**
   * The sweeper's candidates whose latest upload began before `before`, a page at a time in sha256 order (after
   * `after`). Some may be recorded by now: the sweeper checks, under the lock, before it removes anything.
   */
  async uploadsStartedBefore(before: Date, after: string | null, limit: number): Promise<UnrecordedUpload[]> {
    let query = this.db
      .selectFrom('sample_object_uploads')
      .select(['sha256', 'started_at'])
      .where('started_at', '<=', before)
      .orderBy('sha256')
      .limit(limit);
    if (after !== null) query = query.where('sha256', '>', after);
    const rows = await query.execute();
    return rows.map((r) => ({ sha256: r.sha256, startedAt: r.started_at }));
  }

  /**
   * Takes recorded samples off the sweeper's candidates, and returns those it took off. A recorded sample's object is kept for good (samples
   * rows are never removed), so this needs no advisory lock; its rows are locked in sha256 order, as uploads list
   * them, so that the two never wait for each other in a cycle.
   */
  async forgetRecordedUploads(hashes: string[]): Promise<string[]> {
    if (hashes.length === 0) return [];
    const forgotten = await this.db
      .deleteFrom('sample_object_uploads')
      .where('sha256', 'in', (eb) =>
        eb
          .selectFrom('sample_object_uploads as u')
          .select('u.sha256')
          .where('u.sha256', 'in', [...new Set(hashes)])
          .where((e) =>
            e.exists(e.selectFrom('samples').select('samples.sha256').whereRef('samples.sha256', '=', 'u.sha256')),
          )
          .orderBy('u.sha256')
          .forUpdate(),
      )
      .returning('sha256')
      .execute();
    return forgotten.map((r) => r.sha256);
  }

  /**
   * The claim to delete a sample's object: granted only when no samples row records the sample and no upload or
   * deletion of it is claimed. Expired claims of the sample are removed on the way, and so is the sample from the
   * sweeper's candidates when a samples row records it.
   */
  claimDeletion(sha256: string): Promise<DeletionClaim | null> {
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
      if (recorded) {
        await trx.deleteFrom('sample_object_uploads').where('sha256', '=', sha256).execute();
        return null;
      }
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
      const upload = await trx
        .selectFrom('sample_object_uploads')
        .select('started_at')
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      return { id: claim.id, sha256, uploadStartedAt: upload?.started_at ?? null };
    });
  }

  /**
   * Ends a deletion claim. Once the object is removed, the sample leaves the sweeper's candidates, unless an
   * upload of it has begun since (possible only once the claim had expired): that upload lists it anew.
   */
  async releaseDeletion(claim: DeletionClaim, removed: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (removed && claim.uploadStartedAt) {
        await trx
          .deleteFrom('sample_object_uploads')
          .where('sha256', '=', claim.sha256)
          .where('started_at', '=', claim.uploadStartedAt)
          .execute();
      }
      await trx.deleteFrom('sample_object_claims').where('id', '=', claim.id).execute();
    });
  }

  /** Per-sample locks, always taken in sha256 order: two holders of several never wait for each other in a cycle. */
  private async lock(trx: Transaction<DB>, sortedHashes: string[]): Promise<void> {
    for (const sha256 of sortedHashes) {
      await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.SampleObject}::int, hashtext(${sha256}))`.execute(trx);
    }
  }
}
