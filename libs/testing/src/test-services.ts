import type { EmbeddedPostgres } from '../../db/src/embedded/embedded-postgres';
import type { QueueBackendKind } from '../../queues/src/queue-backend';
import type { S3Server } from '../../storage/src/s3-server';

/** What the global setup starts for the whole run, for the global teardown to stop. */
export type TestGlobals = typeof globalThis & {
  __SIGDESK_S3__?: S3Server;
  __SIGDESK_POSTGRES__?: EmbeddedPostgres;
};

/** The queues' backend the tests run on: PostgreSQL unless SIGDESK_TEST_QUEUES=redis (`.ci/run` runs both). */
export function testQueueBackend(): QueueBackendKind {
  const chosen = process.env.SIGDESK_TEST_QUEUES ?? 'postgres';
  if (chosen !== 'postgres' && chosen !== 'redis') {
    throw new Error(`SIGDESK_TEST_QUEUES must be postgres or redis, not ${chosen}`);
  }
  return chosen;
}
