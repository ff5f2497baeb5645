import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, types } from 'pg';
import type { DB } from './schema';

// bigint columns (sizes, ids) arrive as strings; dates stay strings so a calendar date never shifts by a time zone.
types.setTypeParser(types.builtins.DATE, (value) => value);

/** How long a query waits for a connection of the pool (a new one, or one given back) before it fails. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * A pool whose connections may be lost at any time (a restart, a failover, `pg_terminate_backend`) without the
 * process going with them. A pg client emits 'error' when its connection is lost, and pg-pool listens for it only
 * while the client is idle: a client lost while checked out (inside every transaction) would throw an unhandled
 * 'error' event. So every client gets a listener of its own as it joins the pool; the query it was running fails
 * on its own, and the pool drops the client when it is given back and opens a new one on next use.
 */
export function createDatabase(
  url: string,
  poolSize = 10,
  onConnectionLost: (error: Error) => void = (error) =>
    process.emitWarning(`PostgreSQL connection lost: ${error.message}`, 'DatabaseWarning'),
): Kysely<DB> {
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'sigdesk',
    // nothing waits forever for a connection: a database that is away fails the request (503), it does not hang it
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
  });
  pool.on('connect', (client) => client.on('error', onConnectionLost));
  // the pool re-emits the errors of its idle clients: their own listener has told of them already
  pool.on('error', () => undefined);
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
  /** With the organisation id's hashtext as second key: counting and taking its webhook delivery slots. */
  WebhookOrganization = 7_100_030,
}
