import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, types } from 'pg';
import type { DB } from './schema';

// bigint columns (sizes, ids) arrive as strings; dates stay strings so a calendar date never shifts by a time zone.
types.setTypeParser(types.builtins.DATE, (value) => value);

export function createDatabase(url: string, poolSize = 10): Kysely<DB> {
  const pool = new Pool({ connectionString: url, max: poolSize, application_name: 'sigdesk' });
  // an idle connection dropped by the server (restart, failover) is replaced on next use: not a reason to crash
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'DatabaseWarning');
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
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
  /** The first admin key of an installation, made once whatever the number of processes starting. */
  FirstAdminKey = 7_100_012,
}
