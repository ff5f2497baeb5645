import { Kysely, sql } from 'kysely';

/**
 * The rate limits' counters when the API processes share no Redis: one row per bucket (an API key, an address) and
 * window. UNLOGGED: counters are worth nothing after a crash, so they are not written to the WAL (cheaper, and
 * never replicated); a crash empties the table, which only restarts the windows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE rate_limit_counters (
      bucket text PRIMARY KEY,
      hits integer NOT NULL,
      resets_at timestamptz NOT NULL
    );
    CREATE INDEX rate_limit_counters_resets_at_idx ON rate_limit_counters (resets_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE rate_limit_counters`.execute(db);
}
