import { Kysely, sql } from 'kysely';

/**
 * The sample objects whose upload a submission or a reply has begun and that no samples row records yet: the
 * orphan sweeper's list of candidates, so that it never has to list the bucket. A row is written with the upload
 * claim, before the upload; it goes when the sample is recorded, or when the sweeper has removed the object.
 * Uploads claimed before this table existed are listed, so that their objects are swept if their transaction fails.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sample_object_uploads (
      sha256 char(64) PRIMARY KEY,
      -- when the latest upload of the object began: the sweeper leaves it alone for the grace period after;
      -- in milliseconds, as JavaScript reads it, so that the value read can name the row again
      started_at timestamptz(3) NOT NULL DEFAULT now()
    );
    INSERT INTO sample_object_uploads (sha256)
      SELECT DISTINCT c.sha256 FROM sample_object_claims c
      WHERE c.purpose = 'upload' AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.sha256 = c.sha256);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sample_object_uploads`.execute(db);
}
