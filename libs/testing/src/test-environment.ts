import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kysely } from 'kysely';
import { Client } from 'pg';
import { AppConfig, parseEnvironment } from '@sigdesk/config';
import { createDatabase, DB } from '@sigdesk/db';
import { createS3Client, EMBEDDED_S3, EmbeddedS3, ObjectStore, S3Server, startS3Server } from '@sigdesk/storage';
import { StartedSigdesk, startSigdesk } from '@sigdesk/runtime';
import { testQueueBackend } from './test-services';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest.config.js (its globalSetup sets it)`);
  return value;
}

/** Names a step of the cleanup that takes unusually long, so that a hook's timeout says where it was. */
async function slowStepWarning<T>(step: string, work: Promise<T>): Promise<T> {
  const timer = setTimeout(() => console.warn(`test environment: ${step} has taken more than 10 s`), 10_000);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}

/** The keys of the run's S3 server (made by the global setup): every test environment signs with them. */
export function testS3Credentials(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: required('SIGDESK_TEST_S3_ACCESS_KEY_ID'),
    secretAccessKey: required('SIGDESK_TEST_S3_SECRET_ACCESS_KEY'),
  };
}

/** An S3 server of a test's own (to stop and start it), that accepts the keys every test environment signs with. */
export function startTestS3Server(directory: string, port = 0): Promise<S3Server> {
  return startS3Server({ directory, port, region: 'us-east-1', credentials: testS3Credentials() });
}

export interface TestEnvironment {
  /** Base URL of the API. */
  url: string;
  adminKey: string;
  config: AppConfig;
  /** Direct access to this test file's database, for setting up and asserting state. */
  db: Kysely<DB>;
  store: ObjectStore;
  sigdesk: StartedSigdesk;
  /** Stops sigdesk as a signal would (once, however often it is called); `close()` then cleans up the rest. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A whole sigdesk (API, and the worker unless told otherwise) on its own database copied from the migrated
 * template (which holds the queues' tables too, or its own Redis key prefix when the tests run on Redis) and its own
 * bucket, on the real services.
 */
export async function startTestEnvironment(
  options: {
    worker?: boolean;
    env?: Record<string, string>;
    /** The queues' backend, whatever SIGDESK_TEST_QUEUES says: PostgreSQL, or a Redis of the test's own. */
    queues?: 'postgres' | { redisUrl: string };
    /** A database of the test's own (on a server it stops and starts), that sigdesk migrates as it starts. */
    databaseUrl?: string;
    /** No S3_ENDPOINT: sigdesk runs its embedded S3 server, in the environment's data directory. */
    embeddedS3?: boolean;
    /** The data directory (kept by `close()`); a temporary one of its own, removed by `close()`, else. */
    dataDir?: string;
  } = {},
): Promise<TestEnvironment> {
  const id = randomBytes(5).toString('hex');
  const database = `sigdesk_test_${id}`;
  const adminUrl = required('SIGDESK_TEST_ADMIN_URL');
  const databaseUrl = new URL(options.databaseUrl ?? adminUrl);
  if (!options.databaseUrl) {
    const admin = new Client({ connectionString: adminUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database} TEMPLATE ${required('SIGDESK_TEST_TEMPLATE')}`);
    await admin.end();
    databaseUrl.pathname = `/${database}`;
  }

  const adminKey = `sdk_adm_test_${randomBytes(24).toString('base64url')}`;
  // its own object cache and signing key, never the checkout's ./data
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sigdesk-test-data-')));
  const redisPrefix = `sigdesk-test-${id}`;
  const queues =
    options.queues ??
    (testQueueBackend() === 'redis' ? { redisUrl: required('SIGDESK_TEST_REDIS_URL') } : ('postgres' as const));
  const config = new AppConfig(
    parseEnvironment({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_URL: databaseUrl.toString(),
      ...(queues === 'postgres' ? {} : { REDIS_URL: queues.redisUrl, REDIS_PREFIX: redisPrefix }),
      ...(options.embeddedS3
        ? {}
        : {
            S3_ENDPOINT: required('SIGDESK_TEST_S3_ENDPOINT'),
            S3_ACCESS_KEY_ID: testS3Credentials().accessKeyId,
            S3_SECRET_ACCESS_KEY: testS3Credentials().secretAccessKey,
          }),
      S3_BUCKET: `test-${id}`,
      SIGDESK_BOOTSTRAP_ADMIN_KEY: adminKey,
      ...options.env,
    }),
  );
  const sigdesk = await startSigdesk(config, { api: true, worker: options.worker ?? true });
  const db = createDatabase(databaseUrl.toString(), 4);
  const embedded = sigdesk.app.get<EmbeddedS3 | null>(EMBEDDED_S3, { strict: false });
  const store = new ObjectStore(
    createS3Client(
      embedded
        ? { endpoint: embedded.endpoint, region: config.s3.region, ...embedded.credentials }
        : { endpoint: config.s3.endpoint!, region: config.s3.region, ...config.s3.credentials! },
    ),
    config.s3.bucket,
  );

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= sigdesk.close());

  return {
    url: sigdesk.url!,
    adminKey,
    config,
    db,
    store,
    sigdesk,
    stop,
    async close() {
      await slowStepWarning('stopping sigdesk', stop());
      await db.destroy();
      store.close();
      if (!options.databaseUrl) {
        const cleanup = new Client({ connectionString: adminUrl });
        cleanup.on('error', () => undefined);
        await cleanup.connect();
        await slowStepWarning(
          'dropping its database',
          cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
        );
        await cleanup.end();
      }
      // on PostgreSQL the queues' tables went with the database
      if (config.redis.url) {
        const redis = new Redis(config.redis.url);
        const keys = await redis.keys(`${redisPrefix}:*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
        await redis.quit();
      }
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
