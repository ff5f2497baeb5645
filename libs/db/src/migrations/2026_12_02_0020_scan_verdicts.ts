import { Kysely, sql } from 'kysely';

/**
 * What a ruleset found in a file, kept for every process: YARA-X answers the same for the same rules and bytes, so
 * a build proving content a validation proved (in another worker, or after a restart) reads the verdicts instead of
 * scanning the corpus again. Keyed by the hash of the rules, the file's SHA-256 and the scan's external variables
 * (a rule may look at the file's name: `context`, empty when the scan had none).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE scan_verdicts (
      rules_hash text NOT NULL,
      sha256 text NOT NULL,
      context text NOT NULL,
      rules jsonb NOT NULL,
      offsets jsonb NOT NULL,
      millis double precision NOT NULL,
      cpu_millis double precision NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (rules_hash, sha256, context)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE scan_verdicts;`.execute(db);
}
