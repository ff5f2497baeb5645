import { Kysely, sql } from 'kysely';

/**
 * Rulesets compiled once: YARA-X's serialised rules for each distinct ruleset (by the hash of its rules) and version
 * of the engine, stored in the object store under their SHA-256, with what the compile said of them. Any process
 * that needs the same rules opens them instead of compiling them again; the SHA-256 here is what their bytes are
 * checked against before YARA-X opens them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE compiled_rulesets (
      rules_hash text NOT NULL,
      engine text NOT NULL,
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size bigint NOT NULL CHECK (size > 0),
      rule_count integer NOT NULL,
      rule_names jsonb NOT NULL,
      warnings jsonb NOT NULL,
      compile_millis integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (rules_hash, engine)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE compiled_rulesets;`.execute(db);
}
