import { createPostgresBackend, createRedisBackend, Queue, runMigrations, setDefaultBackendFactory } from 'bullmq';
import type { QueueOptions, RedisOptions } from 'bullmq';
import { Pool, PoolClient } from 'pg';

/** Where the queues keep their jobs: Redis when `REDIS_URL` is set, else the PostgreSQL that holds everything else. */
export type QueueBackendKind = 'redis' | 'postgres';

/** The PostgreSQL schema that BullMQ's tables live in, beside sigdesk's own. */
export const QUEUE_SCHEMA = 'bullmq';

/**
 * Connections of one process to the queues' store. The process opens it before its modules start and closes it after
 * they have stopped, so no worker outlives the connection it runs on.
 */
export abstract class QueueBackend {
  abstract readonly kind: QueueBackendKind;
  /** What BullMQ's queues and workers are built with. */
  abstract readonly options: Pick<QueueOptions, 'connection' | 'prefix'>;
  /** Whether the queues' store answers (a query on the queues' own connection); fails at once when it is known down. */
  abstract ping(queue: Queue): Promise<void>;
  abstract close(): Promise<void>;
}

const POOL_END_GRACE_MS = 5_000;

/**
 * Ends the queues' pool once BullMQ has given back its connections. A connection still checked out after the grace
 * period (a LISTEN connection taken while its worker was closing) would hold `end()` forever: it is destroyed.
 */
async function endPool(pool: Pool, warn: (message: string) => void): Promise<void> {
  const ended = pool.end();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), POOL_END_GRACE_MS)));
  const done = await Promise.race([ended.then(() => true), graceOver]);
  clearTimeout(timer);
  if (done) return;
  const held = (pool as unknown as { _clients: Array<PoolClient & { release(destroy?: boolean): void }> })._clients;
  warn(`${held.length} queue connection(s) were not given back within ${POOL_END_GRACE_MS} ms; closing them`);
  for (const client of [...held]) {
    try {
      client.release(true);
    } catch {
      // released meanwhile
    }
  }
  await ended;
}

/** Connection options from a redis:// or rediss:// URL; BullMQ opens (and closes) its own connections with them. */
export function redisConnectionOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // BullMQ needs maxRetriesPerRequest null for its blocking connections
    maxRetriesPerRequest: null,
  };
}

/**
 * The one switch between the two backends; nothing else in sigdesk knows which one runs. On PostgreSQL, every queue
 * and worker of the process shares one pool (each worker holds one connection for `LISTEN`), and BullMQ's schema is
 * migrated here, before any worker starts, under BullMQ's own advisory lock (safe with concurrent starts).
 */
export async function openQueueBackend(settings: {
  redisUrl?: string;
  redisPrefix: string;
  databaseUrl: string;
  /** connections to PostgreSQL for the queues of this process (workers' LISTEN included) */
  poolSize?: number;
  warn?: (message: string) => void;
}): Promise<QueueBackend> {
  const warn = settings.warn ?? ((message: string) => process.emitWarning(message));
  if (settings.redisUrl) {
    setDefaultBackendFactory(createRedisBackend);
    return {
      kind: 'redis',
      options: { connection: redisConnectionOptions(settings.redisUrl), prefix: settings.redisPrefix },
      async ping(queue) {
        // while the connection is down a command would wait for its return: say so instead
        const client = await queue.getBackend().client;
        if (client.status !== 'ready') throw new Error(`the connection to Redis is ${client.status}`);
        await queue.count();
      },
      close: async () => undefined,
    };
  }

  const pool = new Pool({
    connectionString: settings.databaseUrl,
    max: settings.poolSize ?? 16,
    application_name: 'sigdesk-queues',
    // BullMQ's SQL names its tables unqualified: a pool that BullMQ did not build must point them at its schema
    options: `-c search_path=${QUEUE_SCHEMA}`,
    connectionTimeoutMillis: 10_000,
  });
  // every queue and worker of the process listens for the pool's errors
  pool.setMaxListeners(0);
  // an idle connection dropped by the server is replaced on next use; a checked-out one (BullMQ's LISTEN, a query
  // in flight) fails what runs on it: the pool stops listening to a client while it is out, so each has its own
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const client = await pool.connect();
  try {
    await runMigrations(client, QUEUE_SCHEMA);
  } finally {
    client.release();
  }
  setDefaultBackendFactory(createPostgresBackend);
  return {
    kind: 'postgres',
    options: { connection: pool as never },
    async ping(queue) {
      await queue.count();
    },
    close: () => endPool(pool, warn),
  };
}
