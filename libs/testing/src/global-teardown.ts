import { Client } from 'pg';
import type { TestGlobals } from './test-services';

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as TestGlobals;
  await globals.__SIGDESK_S3__?.close();
  const template = process.env.SIGDESK_TEST_TEMPLATE;
  if (template) {
    const admin = new Client({ connectionString: process.env.SIGDESK_TEST_ADMIN_URL });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  }
  await globals.__SIGDESK_POSTGRES__?.stop();
}
