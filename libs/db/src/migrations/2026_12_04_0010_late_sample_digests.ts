import { Kysely, sql } from 'kysely';

/**
 * A sample's SHA-1 and MD5 are for analysts' tools, not its identity: they are computed by the intake job (or, for a
 * reply's samples, by a job of their own) after the upload's answer, not while its body is received. Until then they
 * are null. The partial index lists the samples still waiting for them, so that a lost job can be found again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE samples ALTER COLUMN sha1 DROP NOT NULL, ALTER COLUMN md5 DROP NOT NULL`.execute(db);
  await sql`CREATE INDEX samples_digests_pending_idx ON samples (sha256) WHERE sha1 IS NULL OR md5 IS NULL`.execute(db);
}

/** The columns stay nullable: samples stored since may not have their digests yet, and only their bytes give them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX samples_digests_pending_idx`.execute(db);
}
