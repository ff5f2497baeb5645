import { Kysely, sql } from 'kysely';

/**
 * `sending_until` is the lease of a webhook delivery's attempt in flight: an organisation has at most a few at once
 * (counted under an advisory lock per organisation, over the rows whose lease has not run out), and the lease of an
 * attempt whose worker died runs out by itself. Only attempts in flight have one, so the partial index stays small.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhook_deliveries ADD COLUMN sending_until timestamptz;
    CREATE INDEX webhook_deliveries_sending_idx ON webhook_deliveries (sending_until) WHERE sending_until IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX webhook_deliveries_sending_idx;
    ALTER TABLE webhook_deliveries DROP COLUMN sending_until;
  `.execute(db);
}
