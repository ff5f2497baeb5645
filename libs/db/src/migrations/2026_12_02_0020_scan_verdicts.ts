import { Kysely, sql } from 'kysely';

/**
 * What a ruleset found in a file, kept for every process: YARA-X answers the same for the same rules and bytes, so
 * a build proving content a validation proved (in another worker, or after a restart) reads the verdicts instead of
 * scanning the corpus again. Keyed by the hash of the rules and the file's SHA-256.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE scan_verdicts (
      rules_hash text NOT NULL,
      sha256 text NOT NULL,
      rules jsonb NOT NULL,
      offsets jsonb NOT NULL,
      millis double precision NOT NULL,
      cpu_millis double precision NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (rules_hash, sha256)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE scan_verdicts;`.execute(db);
}
