import { Kysely, sql } from 'kysely';

/** The dashboard counts by day what ended when: each time it filters by is indexed where it is set. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX cases_first_response_at_idx ON cases (first_response_at) WHERE first_response_at IS NOT NULL;
    CREATE INDEX cases_sla_breached_at_idx ON cases (sla_breached_at) WHERE sla_breached_at IS NOT NULL;
    CREATE INDEX signature_changes_validated_at_idx ON signature_changes (validated_at) WHERE validated_at IS NOT NULL;
    CREATE INDEX database_builds_finished_at_idx ON database_builds (finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX database_builds_published_at_idx ON database_builds (published_at) WHERE published_at IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX cases_first_response_at_idx;
    DROP INDEX cases_sla_breached_at_idx;
    DROP INDEX signature_changes_validated_at_idx;
    DROP INDEX database_builds_finished_at_idx;
    DROP INDEX database_builds_published_at_idx;
  `.execute(db);
}
