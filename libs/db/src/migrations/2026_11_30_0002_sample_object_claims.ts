import { Kysely, sql } from 'kysely';

/**
 * Who is working on a sample's object in S3 right now: a submission or a reply that may upload it and is about
 * to record it ('upload'), or the orphan sweeper removing it ('delete'). Claims are taken under a per-sample
 * advisory lock, so that the sweeper never removes an object a submission has decided to rely on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE sample_object_claims (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      sha256 char(64) NOT NULL,
      purpose text NOT NULL CHECK (purpose IN ('upload', 'delete')),
      claimed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sample_object_claims_sha256_idx ON sample_object_claims (sha256, purpose);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE sample_object_claims`.execute(db);
}
