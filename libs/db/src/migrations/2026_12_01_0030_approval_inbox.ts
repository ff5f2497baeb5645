import { Kysely, sql } from 'kysely';

/**
 * The approvals inbox lists the changes waiting for a second analyst, the longest waiting first; the rule editor's
 * check and a change's page look one rule of a version up by name (a version holds thousands).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX signature_changes_awaiting_approval_idx ON signature_changes (validated_at, id)
      WHERE status = 'validated';
    CREATE INDEX rule_revisions_name_idx ON rule_revisions (name);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX signature_changes_awaiting_approval_idx, rule_revisions_name_idx;`.execute(db);
}
