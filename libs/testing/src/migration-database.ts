import { randomBytes } from 'node:crypto';
import { Kysely, Migrator } from 'kysely';
import { Client } from 'pg';
import { createDatabase, migrations } from '@sigdesk/db';

/** A database of its own, migrated up to (and including) one migration: to test the next one on data. */
export interface DatabaseAtMigration {
  db: Kysely<unknown>;
  migrator: Migrator;
  drop(): Promise<void>;
}

export async function databaseAtMigration(last: string): Promise<DatabaseAtMigration> {
  const adminUrl = process.env.SIGDESK_TEST_ADMIN_URL!;
  const name = `sigdesk_migration_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDatabase(url.toString(), 2) as unknown as Kysely<unknown>;
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const before = await migrator.migrateTo(last);
  if (before.error) throw before.error;
  return {
    db,
    migrator,
    drop: async () => {
      await db.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
