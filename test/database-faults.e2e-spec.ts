import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { EmbeddedPostgres, startEmbeddedPostgres } from '@sigdesk/db';
import { OrphanSampleSweeper, SampleIntake, spoolToFile, UnendedUploadClaims } from '@sigdesk/intake';
import { StorageKeys } from '@sigdesk/storage';
import { StartedSigdesk, startSigdesk } from '@sigdesk/runtime';
import {
  ApiClient,
  ApiResponse,
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

/**
 * Past this a request hangs: a database that is away is answered within the pool's connection timeout (5 s) at
 * most, and this leaves room for a slow machine.
 */
const HANG_MS = 15_000;

const DATABASE_UNAVAILABLE = {
  error: 'unavailable',
  message: 'The database is unavailable; try again shortly.',
  dependency: 'database',
};

/** A request that never answers is reported as status 0 rather than waiting for the test's own timeout. */
async function within<T>(send: () => Promise<ApiResponse<T>>): Promise<ApiResponse<T | string>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<ApiResponse<string>>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 0, body: `no answer within ${HANG_MS} ms`, headers: new Headers() }),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([send(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

function submit(client: ApiClient) {
  return within(() =>
    client.upload('/v1/submissions', submissionForm({}, [{ name: 'sample.bin', content: randomBytes(512) }])),
  );
}

describe('PostgreSQL connections ended under load', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let admin: Client;

  beforeAll(async () => {
    // errors logged (a 500 among the answers shows its cause in the output), the expected 503s are warnings
    env = await startTestEnvironment({ env: { LOG_LEVEL: 'error' } });
    await seedRelease(env, 100);
    customer = await seedCustomer(env);
    admin = new Client({ connectionString: process.env.SIGDESK_TEST_ADMIN_URL });
    // this connection is in another database: it never ends its own
    admin.on('error', () => undefined);
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await env?.close();
  });

  /** Ends every connection to this test file's database (sigdesk's pools, the queues' pool, the test's own). */
  async function terminateConnections(): Promise<number> {
    const database = new URL(env.config.database.url!).pathname.slice(1);
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rowCount ?? 0;
  }

  it('survives its connections being ended again and again, answering 201, 200 or 503 meanwhile', async () => {
    const first = await submit(customer.client);
    expect(first.status).toBe(201);
    const caseId = (first.body as { id: string }).id;

    const statuses = new Map<number, number>();
    const unexpected: unknown[] = [];
    const record = (res: { status: number; body: unknown }) => {
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (![200, 201, 503].includes(res.status)) unexpected.push(res);
    };
    let storming = true;
    const clients = [0, 1, 2, 3].map(async (n) => {
      while (storming) {
        if (n % 2 === 0) record(await submit(customer.client));
        else if (n === 1) record(await within(() => customer.client.get(`/v1/submissions/${caseId}`)));
        else record(await within(() => customer.client.get('/v1/submissions')));
      }
    });
    let terminated = 0;
    try {
      for (let round = 0; round < 25; round++) {
        terminated += await terminateConnections();
        await sleep(150);
      }
    } finally {
      storming = false;
      await Promise.all(clients);
    }

    expect(terminated).toBeGreaterThan(25);
    expect(unexpected).toEqual([]);
    expect((statuses.get(201) ?? 0) + (statuses.get(200) ?? 0)).toBeGreaterThan(0);

    // the process is still there and serves as before
    expect((await within(() => customer.client.get('/health/live'))).status).toBe(200);
    const after = await submit(customer.client);
    expect(after.status).toBe(201);
    expect(
      (await within(() => customer.client.get(`/v1/submissions/${(after.body as { id: string }).id}`))).status,
    ).toBe(200);
    expect((await within(() => customer.client.get('/health/ready'))).status).toBe(200);
  });
});

describe('PostgreSQL stopped and started again', () => {
  let dataDir: string;
  let postgres: EmbeddedPostgres | undefined;
  let port: number;
  let env: TestEnvironment;
  let customer: SeededCustomer;

  /** The same server on the same port and data, as after a restart or a failover. */
  async function startPostgres(): Promise<void> {
    postgres = await startEmbeddedPostgres({ dataDir, port });
  }
  async function stopPostgres(): Promise<void> {
    await postgres?.stop();
    postgres = undefined;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sigdesk-test-stopped-postgres-'));
    postgres = await startEmbeddedPostgres({ dataDir });
    port = Number(new URL(postgres.url).port);
    env = await startTestEnvironment({ databaseUrl: postgres.url });
    await seedRelease(env, 100);
    customer = await seedCustomer(env);
  });
  afterAll(async () => {
    // sigdesk stops cleanly only with its database there
    if (!postgres) await startPostgres();
    await env?.close();
    await stopPostgres();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 naming the database while PostgreSQL is down, and serves again once it is back', async () => {
    const before = await submit(customer.client);
    expect(before.status).toBe(201);
    await stopPostgres();

    for (const res of [
      await within(() => customer.client.get('/v1/submissions')),
      await within(() => customer.client.get(`/v1/submissions/${(before.body as { id: string }).id}`)),
      await submit(customer.client),
    ]) {
      expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: DATABASE_UNAVAILABLE });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const ready = await within(() => customer.client.get('/health/ready'));
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'down', checks: { postgres: { status: 'down' } } });

    await startPostgres();
    const after = await submit(customer.client);
    expect(after.status).toBe(201);
    expect((await within(() => customer.client.get('/v1/submissions'))).status).toBe(200);
    expect((await within(() => customer.client.get('/health/ready'))).status).toBe(200);
  });

  it('waits for PostgreSQL when it starts first, and is ready once PostgreSQL answers', async () => {
    await stopPostgres();
    let started: StartedSigdesk | undefined;
    let failed: unknown;
    const starting = startSigdesk(env.config, { api: true, worker: false }).then(
      (process) => (started = process),
      (error: unknown) => (failed = error),
    );
    try {
      // long enough for a start that does not wait to have given up (it used to, at once)
      await sleep(2_000);
      expect({ started: Boolean(started), failed }).toEqual({ started: false, failed: undefined });

      await startPostgres();
      await starting;
      expect(failed).toBeUndefined();
      const client = new ApiClient(started!.url!, customer.key);
      expect((await within(() => client.get('/health/ready'))).status).toBe(200);
      expect((await within(() => client.get('/v1/submissions'))).status).toBe(200);
    } finally {
      if (!postgres) await startPostgres();
      await starting;
      await started?.close();
    }
  });

  it('ends the sample claims of a request that PostgreSQL failed once it is back, so the sweeper removes its upload', async () => {
    const intake = env.sigdesk.app.get(SampleIntake);
    const unended = env.sigdesk.app.get(UnendedUploadClaims);
    const workDir = await mkdtemp(join(tmpdir(), 'sigdesk-test-claims-'));
    try {
      const sample = await spoolToFile(Readable.from([randomBytes(4096)]), workDir, 'sample.bin');
      // the request's transaction, when PostgreSQL goes away after the upload: it fails, and so does ending
      // the claims that kept the upload from the sweeper
      const failing = intake.storeAndRecord([sample], async () => {
        await stopPostgres();
        throw new Error('connection terminated');
      });
      await expect(failing).rejects.toThrow('connection terminated');
      expect(await env.store.head(StorageKeys.sample(sample.sha256))).not.toBeNull();
      expect(unended.size).toBe(1);

      await startPostgres();
      await unended.retry();
      expect(unended.size).toBe(0);
      const claims = await env.db
        .selectFrom('sample_object_claims')
        .select('id')
        .where('sha256', '=', sample.sha256)
        .execute();
      expect(claims).toEqual([]);

      const sweeper = env.sigdesk.app.get(OrphanSampleSweeper);
      const later = new Date(Date.now() + env.config.intake.orphanGraceMs + 60_000);
      expect(await sweeper.sweep(later)).toMatchObject({ deleted: 1 });
      expect(await env.store.head(StorageKeys.sample(sample.sha256))).toBeNull();
    } finally {
      if (!postgres) await startPostgres();
      await rm(workDir, { recursive: true, force: true });
    }
  });
});
