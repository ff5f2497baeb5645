import { Kysely, sql } from 'kysely';

/**
 * Who uploaded a rule pack is an actor, as everywhere since the people's accounts (2026_11_30_0080_people): an API
 * key or a person. The import's `created_by` was made a foreign key to `api_keys`, which refused every pack an admin
 * uploaded from the web console (a session's actor is the person); it goes, as the other actor columns' did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE rule_pack_imports DROP CONSTRAINT rule_pack_imports_created_by_fkey;`.execute(db);
}

/** The foreign key stays dropped: `created_by` may hold people's ids by then. */
export async function down(): Promise<void> {}
