import { Queue, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { openQueueBackend } from './queue-backend';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: process.env.SIGDESK_TEST_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('the queues on PostgreSQL', () => {
  const database = `sigdesk_queues_${randomBytes(4).toString('hex')}`;
  let url: string;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    const parsed = new URL(process.env.SIGDESK_TEST_ADMIN_URL!);
    parsed.pathname = `/${database}`;
    url = parsed.toString();
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('migrates its schema at open, runs jobs, and closes even when a connection was never given back', async () => {
    const warnings: string[] = [];
    const backend = await openQueueBackend({
      redisPrefix: 'unused',
      databaseUrl: url,
      poolSize: 4,
      warn: (message) => warnings.push(message),
    });
    expect(backend.kind).toBe('postgres');
    const queue = new Queue('spec', backend.options);
    const done = new Promise<unknown>((resolve) => {
      const worker = new Worker('spec', async (job) => job.data, backend.options);
      worker.on('completed', (job) => void worker.close().then(() => resolve(job.returnvalue)));
    });
    await queue.add('echo', { value: 42 });
    await expect(done).resolves.toEqual({ value: 42 });
    await backend.ping(queue);
    await queue.close();

    // a connection someone forgot: close must not wait for it forever
    const leaked = await (backend.options.connection as unknown as Pool).connect();
    leaked.on('error', () => undefined);
    const started = Date.now();
    await backend.close();
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(warnings.join('\n')).toMatch(/1 queue connection\(s\) were not given back/);
  });
});
