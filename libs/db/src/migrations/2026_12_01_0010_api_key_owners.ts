import { Kysely, sql } from 'kysely';

/**
 * Customers' own API keys: an organisation's admin makes and revokes them, so each key records who made it and who
 * revoked it (an actor id, and the display name a person had then: the names read in the organisation's list), and
 * when it was last used (moved at most once a minute). Keys made before this migration have no maker recorded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      ADD COLUMN created_by uuid,
      ADD COLUMN created_by_name text,
      ADD COLUMN revoked_by uuid,
      ADD COLUMN revoked_by_name text,
      ADD COLUMN last_used_at timestamptz;
    CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at, id)
      WHERE organization_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX api_keys_organization_idx;
    ALTER TABLE api_keys
      DROP COLUMN created_by,
      DROP COLUMN created_by_name,
      DROP COLUMN revoked_by,
      DROP COLUMN revoked_by_name,
      DROP COLUMN last_used_at;
  `.execute(db);
}
