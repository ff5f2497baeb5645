import { Kysely, sql } from 'kysely';

/**
 * The sweep's queries select the clocks that really run (as the conditional update that records a warning or
 * a breach checks), oldest due first: closed, answered and paused cases stay out of these indexes, so however
 * many of them are overdue, the sweep reads only what it must record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX cases_sla_breach_idx, cases_sla_warning_idx;
    CREATE INDEX cases_sla_breach_due_idx ON cases (response_due_at, id)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND status IN ('received', 'queued', 'in_review')
        AND sla_breached_at IS NULL;
    CREATE INDEX cases_sla_warning_due_idx ON cases (sla_warning_at, id)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND status IN ('received', 'queued', 'in_review')
        AND sla_warned_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX cases_sla_breach_due_idx, cases_sla_warning_due_idx;
    CREATE INDEX cases_sla_breach_idx ON cases (response_due_at)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND sla_breached_at IS NULL;
    CREATE INDEX cases_sla_warning_idx ON cases (sla_warning_at)
      WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND sla_warned_at IS NULL;
  `.execute(db);
}
