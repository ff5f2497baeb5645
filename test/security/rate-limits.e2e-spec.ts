import { sql } from 'kysely';
import {
  ApiClient,
  DisposableRedis,
  seedKey,
  startTestEnvironment,
  TestEnvironment,
  type ApiResponse,
} from '@sigdesk/testing';

/** Small limits and a short window, so that each limit is reached and reset in seconds. */
const LIMITS = {
  SIGDESK_RATE_LIMIT_WINDOW_SECONDS: '2',
  SIGDESK_RATE_LIMIT_PER_KEY: '6',
  SIGDESK_RATE_LIMIT_PER_ADDRESS: '5',
  SIGDESK_RATE_LIMIT_FAILED_AUTH_PER_ADDRESS: '3',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests `times` times, in order; the statuses. */
async function statuses(times: number, request: () => Promise<ApiResponse>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < times; i++) seen.push((await request()).status);
  return seen;
}

/** A 429 in the API's shape, with a Retry-After header that agrees with its body. */
function expectRateLimited(res: ApiResponse): number {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.body).toMatchObject({ error: 'rate_limited', message: expect.any(String) });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(2);
  expect(res.body.retryAfterSeconds).toBe(retryAfter);
  expect(Object.keys(res.body)).not.toContain('statusCode');
  return retryAfter;
}

/** The value of `sigdesk_rate_limit_store_failures_total` that the process reports. */
async function storeFailures(env: TestEnvironment): Promise<number> {
  const text = (await new ApiClient(env.url).get('/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith('sigdesk_rate_limit_store_failures_total '));
  return Number(line?.split(' ')[1]);
}

/** Waits for the current window to end (windows start at a bucket's first hit: 2 s at most). */
const nextWindow = () => sleep(2_100);

describe('rate limits on PostgreSQL (no Redis)', () => {
  let env: TestEnvironment;
  let other: TestEnvironment;
  let admin: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, queues: 'postgres', env: LIMITS });
    admin = new ApiClient(env.url, env.adminKey);
    anonymous = new ApiClient(env.url);
  });

  afterAll(async () => {
    await other?.close();
    await env?.close();
  });

  beforeEach(nextWindow);

  it('limits each API key, answers 429 with Retry-After in the API shape, and lets it through in the next window', async () => {
    const analyst = await seedKey(env, 'analyst');
    await nextWindow();
    expect(await statuses(6, () => analyst.get('/v1/review-queue'))).toEqual([200, 200, 200, 200, 200, 200]);
    const limited = await analyst.get('/v1/review-queue');
    const retryAfter = expectRateLimited(limited);
    expect(limited.body.limit).toBe(6);
    // another key has a count of its own
    expect((await admin.get('/v1/databases/current')).status).not.toBe(429);

    await sleep(retryAfter * 1000 + 100);
    expect((await analyst.get('/v1/review-queue')).status).toBe(200);
  });

  it('limits requests without credentials per address, before their body', async () => {
    expect(await statuses(5, () => anonymous.post('/v1/admin/organizations', { name: 'x' }))).toEqual([
      401, 401, 401, 401, 401,
    ]);
    expectRateLimited(await anonymous.post('/v1/admin/organizations', { name: 'x' }));
    // the OpenAPI document (registered by a plugin, not a controller) answers 429 in the API's shape too
    expectRateLimited(await anonymous.get('/docs/openapi.json'));
    // and so does reading an invitation by its link, as every public route
    expectRateLimited(await anonymous.get(`/v1/invitations/${'a'.repeat(43)}`));
    // a valid key from the same address is counted apart
    expect((await admin.get('/v1/databases/current')).status).not.toBe(429);
  });

  it('counts a client that sends X-Forwarded-For by its socket address, unless it is a trusted proxy', async () => {
    const spoofing = (i: number) =>
      anonymous.request('GET', '/docs/openapi.json', { headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    const seen: number[] = [];
    for (let i = 1; i <= 6; i++) seen.push((await spoofing(i)).status);
    expect(seen).toEqual([200, 200, 200, 200, 200, 429]);

    const behindProxy = await startTestEnvironment({
      worker: false,
      queues: 'postgres',
      env: { ...LIMITS, SIGDESK_TRUST_PROXY: '127.0.0.1' },
    });
    try {
      const through = (client: string) =>
        new ApiClient(behindProxy.url).request('GET', '/docs/openapi.json', {
          headers: { 'x-forwarded-for': client },
        });
      expect(await statuses(5, () => through('203.0.113.1'))).toEqual([200, 200, 200, 200, 200]);
      expectRateLimited(await through('203.0.113.1'));
      // another client behind the same proxy has an allowance of its own
      expect((await through('198.51.100.2')).status).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });

  it('limits failed authentications per address, while valid keys from that address keep working', async () => {
    const wrong = new ApiClient(env.url, 'sdk_adm_not-a-key-of-this-installation');
    expect(await statuses(3, () => wrong.get('/v1/review-queue'))).toEqual([401, 401, 401]);
    expectRateLimited(await wrong.get('/v1/review-queue'));
    expectRateLimited(await new ApiClient(env.url, 'another-wrong-key').post('/v1/submissions', {}));
    expect((await admin.get('/v1/databases/current')).status).not.toBe(429);
  });

  it('never limits /health/live, /health/ready nor /metrics', async () => {
    const live = await statuses(20, () => anonymous.get('/health/live'));
    expect(new Set(live)).toEqual(new Set([200]));
    const ready = await statuses(10, () => anonymous.get('/health/ready'));
    expect(ready).not.toContain(429);
    const metrics = await statuses(10, () => anonymous.get('/metrics'));
    expect(new Set(metrics)).toEqual(new Set([200]));
  });

  it("does not count the web app's files against the address", async () => {
    const page = () => anonymous.request('GET', '/cases', { headers: { accept: 'text/html' } });
    const assets = () => anonymous.get('/assets/not-there.js');
    expect(await statuses(8, page)).not.toContain(429);
    expect(await statuses(8, assets)).not.toContain(429);
    // and the address still has its whole allowance for the API
    expect(await statuses(5, () => anonymous.get('/docs/openapi.json'))).toEqual([200, 200, 200, 200, 200]);
  });

  it('counts in PostgreSQL, so two API processes on one database agree', async () => {
    other = await startTestEnvironment({
      worker: false,
      queues: 'postgres',
      databaseUrl: env.config.database.url,
      env: { ...LIMITS, SIGDESK_BOOTSTRAP_ADMIN_KEY: env.adminKey },
    });
    const release = await seedKey(env, 'release');
    const here = release;
    const there = release.as(release.key!);
    const thereClient = new ApiClient(other.url, there.key);
    await nextWindow();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push((await here.get('/v1/database-builds')).status);
      seen.push((await thereClient.get('/v1/database-builds')).status);
    }
    expect(seen).toEqual([200, 200, 200, 200, 200, 200]);
    expectRateLimited(await thereClient.get('/v1/database-builds'));
    expectRateLimited(await here.get('/v1/database-builds'));
  });

  it('removes the counters of ended windows', async () => {
    await anonymous.get('/docs/openapi.json');
    // read within the request's window: once it has ended, the pruning may take its row at any moment
    const before = await env.db.selectFrom('rate_limit_counters').select('bucket').execute();
    expect(before.length).toBeGreaterThan(0);
    // every window, each process deletes the rows of ended windows: the window, and one more for the pruning
    await sleep(4_300);
    const ended = await env.db
      .selectFrom('rate_limit_counters')
      .select('bucket')
      .where('resets_at', '<', sql<Date>`now() - interval '1 second'`)
      .execute();
    expect(ended).toEqual([]);
  });

  it('serves requests when the store fails, and counts the failures', async () => {
    const failuresBefore = await storeFailures(env);
    await sql`DROP TABLE rate_limit_counters`.execute(env.db);
    try {
      const analyst = new ApiClient(env.url, env.adminKey);
      expect(await statuses(10, () => analyst.get('/v1/databases/current'))).not.toContain(429);
      expect(await statuses(8, () => anonymous.post('/v1/submissions', {}))).toEqual(Array(8).fill(401));
      expect(await storeFailures(env)).toBeGreaterThanOrEqual(failuresBefore + 18);
    } finally {
      await sql`
        CREATE UNLOGGED TABLE rate_limit_counters (bucket text PRIMARY KEY, hits integer NOT NULL, resets_at timestamptz NOT NULL)
      `.execute(env.db);
    }
  });
});

describe('rate limits on Redis', () => {
  let redis: DisposableRedis;
  let env: TestEnvironment;
  let other: TestEnvironment;

  beforeAll(async () => {
    redis = await DisposableRedis.start();
    // one key prefix for both processes, as the processes of one installation have
    const prefix = `sigdesk-rate-test-${process.pid}`;
    env = await startTestEnvironment({
      worker: false,
      queues: { redisUrl: redis.url },
      env: { ...LIMITS, REDIS_PREFIX: prefix },
    });
    other = await startTestEnvironment({
      worker: false,
      queues: { redisUrl: redis.url },
      databaseUrl: env.config.database.url,
      env: { ...LIMITS, REDIS_PREFIX: prefix, SIGDESK_BOOTSTRAP_ADMIN_KEY: env.adminKey },
    });
  });

  afterAll(async () => {
    // the environments' cleanup talks to Redis: it must be there
    if (redis && !redis.running) await redis.start();
    await other?.close();
    await env?.close();
    await redis?.kill();
  });

  it('counts in Redis, so two API processes agree, and resets after the window', async () => {
    const analyst = await seedKey(env, 'analyst');
    const there = new ApiClient(other.url, analyst.key);
    await nextWindow();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push((await analyst.get('/v1/review-queue')).status);
      seen.push((await there.get('/v1/review-queue')).status);
    }
    expect(seen).toEqual([200, 200, 200, 200, 200, 200]);
    const retryAfter = expectRateLimited(await analyst.get('/v1/review-queue'));
    expectRateLimited(await there.get('/v1/review-queue'));
    await sleep(retryAfter * 1000 + 100);
    expect((await there.get('/v1/review-queue')).status).toBe(200);
  });

  it('serves requests when Redis is gone, and counts the failures', async () => {
    const admin = new ApiClient(env.url, env.adminKey);
    const failuresBefore = await storeFailures(env);
    await redis.kill();
    expect(await statuses(10, () => admin.get('/v1/databases/current'))).not.toContain(429);
    expect(await statuses(8, () => new ApiClient(env.url).post('/v1/submissions', {}))).toEqual(Array(8).fill(401));
    expect((await new ApiClient(env.url).get('/health/live')).status).toBe(200);
    expect(await storeFailures(env)).toBeGreaterThanOrEqual(failuresBefore + 18);
  });
});
