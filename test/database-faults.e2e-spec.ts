import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
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
    env = await startTestEnvironment();
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
