import { Kysely, Migrator, MigrationResultSet } from 'kysely';
import { migrations } from './migrations';

/**
 * Applies the pending migrations. Kysely's PostgreSQL adapter takes a transaction-level advisory lock
 * around the whole run, so processes that start together apply each migration exactly once.
 */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
