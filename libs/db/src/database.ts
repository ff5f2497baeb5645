import { Kysely, PostgresDialect, sql } from 'kysely';
import { Client, Pool, types } from 'pg';
import type { DB } from './schema';

// bigint columns (sizes, ids) arrive as strings; dates stay strings so a calendar date never shifts by a time zone.
types.setTypeParser(types.builtins.DATE, (value) => value);

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/sigdesk';

export function createDatabase(url: string, poolSize = 10): Kysely<DB> {
  const pool = new Pool({ connectionString: url, max: poolSize, application_name: 'sigdesk' });
  // an idle connection dropped by the server (restart, failover) is replaced on next use: not a reason to crash
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'DatabaseWarning');
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Creates the database named in `url` when the server does not have it yet (first start on a fresh machine). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        // another process created it between our check and our CREATE
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export async function pingDatabase(db: Kysely<DB>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

/** Ids of PostgreSQL advisory locks. Persisted in running systems' behaviour: never renumber. */
export enum AdvisoryLock {
  /** With the channel's hashtext as second key: whatever gives a database channel a version. */
  DatabaseChannel = 7_100_004,
  /** With the sample's hashtext as second key: claims on a sample's object (see sample_object_claims). */
  SampleObject = 7_100_005,
  /** Loading the base ruleset on first start, once whatever the number of processes starting. */
  BaseRuleset = 7_100_010,
  /** Approvals, so that approval numbers are handed out in commit order (the feed never skips one). */
  ChangeApproval = 7_100_011,
}
