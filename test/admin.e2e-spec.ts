import { ApiClient, seedCustomer, seedKey, startTestEnvironment, TestEnvironment } from '@sigdesk/testing';

describe('administration and database releases', () => {
  let env: TestEnvironment;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    admin = new ApiClient(env.url, env.adminKey);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('gives an MSA Start contract six premium incidents and a standard one none', async () => {
    const org = await admin.post('/v1/admin/organizations', {
      name: 'Iberia Freight',
      timezone: 'Europe/Madrid',
      country: 'es',
    });
    expect(org.status).toBe(201);
    const msa = await admin.post(`/v1/admin/organizations/${org.body.id}/contracts`, {
      tier: 'msa_start',
      startsOn: '2026-01-01',
      endsOn: '2026-12-31',
    });
    expect(msa.body.premiumIncidents).toEqual({ total: 6, used: 0, remaining: 6 });
    const standard = await admin.post(`/v1/admin/organizations/${org.body.id}/contracts`, {
      tier: 'standard',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
    });
    expect(standard.body.premiumIncidents).toBeUndefined();
  });

  it('refuses bad organisation and contract input with 400, naming the field', async () => {
    const org = await admin.post('/v1/admin/organizations', { name: 'X', timezone: 'Mars/Olympus', country: 'ESP' });
    expect(org.status).toBe(400);
    expect(org.body.fields.map((f: any) => f.field).sort()).toEqual(['country', 'timezone']);
    const unknownOrg = await admin.post('/v1/admin/organizations/00000000-0000-4000-8000-000000000000/contracts', {
      tier: 'standard',
      startsOn: '2026-01-01',
      endsOn: '2026-12-31',
    });
    expect(unknownOrg.status).toBe(404);
  });

  it('shows a new key once, stores only its hash, and revokes it', async () => {
    const created = await admin.post('/v1/admin/api-keys', { role: 'analyst', name: 'Ana' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sdk_ana_/);
    const stored = await env.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toContain(created.body.key);
    const analyst = new ApiClient(env.url, created.body.key);
    expect((await analyst.get('/v1/submissions')).status).toBe(200);
    expect((await admin.request('DELETE', `/v1/admin/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await analyst.get('/v1/submissions')).status).toBe(401);
  });

  it('requires an organisation for customer keys only', async () => {
    expect((await admin.post('/v1/admin/api-keys', { role: 'customer', name: 'c' })).status).toBe(400);
  });

  it('keeps administration to admin keys', async () => {
    const customer = await seedCustomer(env);
    for (const client of [customer.client, await seedKey(env, 'analyst'), await seedKey(env, 'release')]) {
      const res = await client.post('/v1/admin/organizations', { name: 'Y', timezone: 'UTC', country: 'US' });
      expect(res.status).toBe(403);
    }
    expect((await new ApiClient(env.url, 'sdk_adm_forged').get('/v1/databases/current')).status).toBe(401);
  });

  it('registers releases whose versions only grow, and serves the current one', async () => {
    expect((await admin.get('/v1/databases/current')).status).toBe(404);
    const first = await admin.post('/v1/admin/database-releases', { version: 10, releasedAt: '2026-11-20T08:00:00Z' });
    expect(first.status).toBe(201);
    const again = await admin.post('/v1/admin/database-releases', { version: 10, releasedAt: '2026-11-21T08:00:00Z' });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('version_not_newer');
    await admin.post('/v1/admin/database-releases', { version: 11, releasedAt: '2026-11-21T08:00:00Z' });
    await admin.post('/v1/admin/database-releases', {
      channel: 'beta',
      version: 500,
      releasedAt: '2026-11-21T09:00:00Z',
    });
    const customer = await seedCustomer(env);
    expect((await customer.client.get('/v1/databases/current')).body).toEqual({
      channel: 'default',
      version: 11,
      releasedAt: '2026-11-21T08:00:00.000Z',
      // what a client needs to check currency itself before an upload
      previous: { version: 10, releasedAt: '2026-11-20T08:00:00.000Z' },
      graceMinutes: 180,
    });
    expect((await customer.client.get('/v1/databases/current?channel=beta')).body.version).toBe(500);
    expect((await customer.client.get('/v1/databases/current?channel=Bad!')).status).toBe(400);
  });
});

describe('operations', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('serves health, Prometheus metrics and the OpenAPI document without a key', async () => {
    const anonymous = new ApiClient(env.url);
    expect((await anonymous.get('/health/live')).status).toBe(200);
    const ready = await anonymous.get('/health/ready');
    expect(ready.body).toEqual({
      status: 'up',
      checks: {
        postgres: { status: 'up' },
        ...(env.config.redis.url ? { redis: { status: 'up' } } : { queues: { status: 'up' } }),
        s3: { status: 'up' },
      },
    });
    const metrics = await anonymous.get<string>('/metrics');
    expect(metrics.body).toContain('sigdesk_http_request_duration_seconds_bucket');
    expect(metrics.body).toMatch(/sigdesk_queue_jobs\{queue="intake",state="waiting"\} \d+/);
    const docs = await anonymous.get('/docs/openapi.json');
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/submissions', '/v1/admin/api-keys']));
  });

  it('shapes unknown routes and unexpected input as { error, message }', async () => {
    const res = await new ApiClient(env.url, env.adminKey).get('/v1/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });
});
