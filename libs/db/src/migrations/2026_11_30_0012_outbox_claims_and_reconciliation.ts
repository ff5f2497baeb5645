import { Kysely, sql } from 'kysely';

/**
 * The outbox relay claims rows for a short while (`claimed_until`) in a transaction of its own and commits before
 * it calls the queues, so that no database transaction waits on Redis; a relay that dies leaves its claim to run
 * out. The partial indexes serve the reconciler, which looks for work PostgreSQL says is due (intake, validations,
 * webhook deliveries) whose job the queues may have lost: only the unfinished rows are in them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
    CREATE INDEX cases_intake_pending_idx ON cases (id) WHERE intake_completed_at IS NULL;
    CREATE INDEX signature_changes_validating_idx ON signature_changes (id) WHERE status = 'validating';
    CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (id) WHERE status = 'pending';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX cases_intake_pending_idx, signature_changes_validating_idx, webhook_deliveries_pending_idx;
    ALTER TABLE outbox DROP COLUMN claimed_until;
  `.execute(db);
}
