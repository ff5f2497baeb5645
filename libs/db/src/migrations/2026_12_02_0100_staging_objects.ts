import { Kysely, sql } from 'kysely';

/**
 * The objects a request writes under a staging key while a sample arrives (its SHA-256, hence its own key, is known
 * only at the end), listed before their upload begins. The request copies the object to the sample's key, then
 * removes it and its row; what a crash or an outage leaves here, the orphan sweeper removes once the holder is gone
 * or has stopped renewing the row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE staging_objects (
      key text PRIMARY KEY,
      -- the process that writes it, <host>-<pid>-<run> (see the intake's process identity)
      holder text NOT NULL,
      -- renewed by the holder while its request runs
      touched_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE staging_objects`.execute(db);
}
