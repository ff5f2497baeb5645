import { Kysely, sql } from 'kysely';

/**
 * The outbox relay claims rows for a short while (`claimed_until`) in a transaction of its own and commits before
 * it calls the queues, so that no database transaction waits on Redis; a relay that dies leaves its claim to run
 * out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE outbox DROP COLUMN claimed_until;
  `.execute(db);
}
