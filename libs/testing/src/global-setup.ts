import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { createDatabase } from '../../db/src/database';
import { startEmbeddedPostgres } from '../../db/src/embedded/embedded-postgres';
import { migrateToLatest } from '../../db/src/migrator';
import { openQueueBackend } from '../../queues/src/queue-backend';
import { startS3Server } from '../../storage/src/s3-server';
import { testQueueBackend, TestGlobals } from './test-services';

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Once per test run: a PostgreSQL server (the one at TEST_POSTGRES_URL or on 127.0.0.1:5432, else an embedded one
 * started here, so the tests need nothing but Node.js), a migrated template database that each test file copies
 * (fast), the queues' backend (PostgreSQL unless SIGDESK_TEST_QUEUES=redis, then Redis must answer: tests never
 * skip), and one S3 server on loopback that each test file uses with a bucket of its own: sigdesk's own S3 server,
 * which answers only requests signed with the run's keys (made here, never a constant).
 */
export default async function globalSetup(): Promise<void> {
  const globals = globalThis as TestGlobals;
  let adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (!(await answers(adminUrl))) {
    if (process.env.TEST_POSTGRES_URL) {
      throw new Error(`PostgreSQL is not answering at TEST_POSTGRES_URL ${adminUrl}`);
    }
    const postgres = await startEmbeddedPostgres({
      dataDir: mkdtempSync(join(tmpdir(), 'sigdesk-test-postgres-')),
      database: 'postgres',
    });
    globals.__SIGDESK_POSTGRES__ = postgres;
    adminUrl = postgres.url;
  }

  const template = `sigdesk_template_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const db = createDatabase(templateUrl.toString(), 1);
  await migrateToLatest(db);
  await db.destroy();

  const queues = testQueueBackend();
  let redisUrl: string | undefined;
  if (queues === 'redis') {
    redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch((error: Error) => {
      throw new Error(`Redis is not answering at ${redisUrl} (${error.message}); start it before the tests.`);
    });
    await redis.quit();
  } else {
    // the template carries BullMQ's schema too, so each test database starts with it
    const backend = await openQueueBackend({ redisPrefix: 'unused', databaseUrl: templateUrl.toString(), poolSize: 1 });
    await backend.close();
  }

  const s3Keys = {
    accessKeyId: `sigdesk-test-${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(32).toString('base64url'),
  };
  const s3 = await startS3Server({
    directory: mkdtempSync(join(tmpdir(), 'sigdesk-test-s3-')),
    port: 0,
    region: 'us-east-1',
    credentials: s3Keys,
  });

  globals.__SIGDESK_S3__ = s3;
  process.env.SIGDESK_TEST_ADMIN_URL = adminUrl;
  process.env.SIGDESK_TEST_TEMPLATE = template;
  if (redisUrl) process.env.SIGDESK_TEST_REDIS_URL = redisUrl;
  process.env.SIGDESK_TEST_S3_ENDPOINT = s3.endpoint;
  process.env.SIGDESK_TEST_S3_ACCESS_KEY_ID = s3Keys.accessKeyId;
  process.env.SIGDESK_TEST_S3_SECRET_ACCESS_KEY = s3Keys.secretAccessKey;
}
