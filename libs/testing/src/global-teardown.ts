import { Client } from 'pg';
import type S3rver from 's3rver';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __SIGDESK_S3__?: S3rver }).__SIGDESK_S3__?.close();
  const template = process.env.SIGDESK_TEST_TEMPLATE;
  if (!template) return;
  const admin = new Client({ connectionString: process.env.SIGDESK_TEST_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.end();
}
