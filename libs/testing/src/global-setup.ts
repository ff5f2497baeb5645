import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import S3rver from 's3rver';
import { createDatabase } from '../../db/src/database';
import { migrateToLatest } from '../../db/src/migrator';

/**
 * Once per test run: a migrated template database that each test file copies (fast), and one S3 server on
 * loopback that each test file uses with a bucket of its own. A missing service fails the run: tests never skip.
 */
export default async function globalSetup(): Promise<void> {
  const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const template = `sigdesk_template_${randomBytes(4).toString('hex')}`;

  const admin = new Client({ connectionString: adminUrl });
  await admin.connect().catch((error: Error) => {
    throw new Error(`PostgreSQL is not answering at ${adminUrl} (${error.message}); start it before the tests.`);
  });
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const db = createDatabase(templateUrl.toString(), 1);
  await migrateToLatest(db);
  await db.destroy();

  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error: Error) => {
    throw new Error(`Redis is not answering at ${redisUrl} (${error.message}); start it before the tests.`);
  });
  await redis.quit();

  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: mkdtempSync(join(tmpdir(), 'sigdesk-test-s3-')),
    silent: true,
    allowMismatchedSignatures: true,
  });
  const { port } = (await s3.run()) as { port: number };

  (globalThis as { __SIGDESK_S3__?: S3rver }).__SIGDESK_S3__ = s3;
  process.env.SIGDESK_TEST_ADMIN_URL = adminUrl;
  process.env.SIGDESK_TEST_TEMPLATE = template;
  process.env.SIGDESK_TEST_REDIS_URL = redisUrl;
  process.env.SIGDESK_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
}
