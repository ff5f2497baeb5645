import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

describe('GET /v1/organizations/current', () => {
  let env: TestEnvironment;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_MAX_SAMPLE_BYTES: '5000000' } });
    admin = new ApiClient(env.url, env.adminKey);
    await seedRelease(env, 100);
  });
  afterAll(async () => {
    await env?.close();
  });

  it("tells a customer its organisation, today's contract with the premium incidents left, and the upload limits", async () => {
    const customer = await seedCustomer(env, { name: 'Acme Logistics', tier: 'msa_start' });
    const before = await customer.client.get('/v1/organizations/current');
    expect(before.status).toBe(200);
    const year = new Date().getUTCFullYear();
    expect(before.body).toEqual({
      id: customer.organizationId,
      name: 'Acme Logistics',
      timezone: 'Europe/Madrid',
      country: 'ES',
      contract: {
        tier: 'msa_start',
        startsOn: `${year - 1}-01-01`,
        endsOn: `${year + 1}-12-31`,
        premiumIncidents: { total: 6, used: 0, remaining: 6 },
      },
      limits: { maxSampleBytes: 5_000_000, maxFilesPerSubmission: 20 },
    });

    const submitted = await customer.client.upload('/v1/submissions', submissionForm({ premium: 'true' }));
    expect(submitted.status).toBe(201);
    const after = await customer.client.get('/v1/organizations/current');
    expect(after.body.contract.premiumIncidents).toEqual({ total: 6, used: 1, remaining: 5 });
  });

  it('never shows another organisation: each key sees its own, whatever the other spent', async () => {
    const mine = await seedCustomer(env, { name: 'Mine S.L.', tier: 'standard' });
    const theirs = await seedCustomer(env, { name: 'Theirs S.A.', tier: 'msa_start' });
    expect((await theirs.client.upload('/v1/submissions', submissionForm({ premium: 'true' }))).status).toBe(201);

    const seen = await mine.client.get('/v1/organizations/current');
    expect(seen.body.id).toBe(mine.organizationId);
    expect(seen.body.name).toBe('Mine S.L.');
    // a standard contract has no premium incidents at all
    expect(seen.body.contract).toEqual(expect.objectContaining({ tier: 'standard' }));
    expect(seen.body.contract.premiumIncidents).toBeUndefined();
    expect(JSON.stringify(seen.body)).not.toContain(theirs.organizationId);
    expect(JSON.stringify(seen.body)).not.toContain('Theirs');
  });

  it('answers contract null when no contract is in force today', async () => {
    const org = await admin.post('/v1/admin/organizations', {
      name: 'Lapsed',
      timezone: 'Europe/Madrid',
      country: 'ES',
    });
    await admin.post(`/v1/admin/organizations/${org.body.id}/contracts`, {
      tier: 'msa_start',
      startsOn: '2020-01-01',
      endsOn: '2020-12-31',
    });
    const key = await admin.post('/v1/admin/api-keys', { role: 'customer', organizationId: org.body.id, name: 'k' });
    const seen = await new ApiClient(env.url, key.body.key).get('/v1/organizations/current');
    expect(seen.status).toBe(200);
    expect(seen.body.contract).toBeNull();
  });

  it('is for customer keys only: 403 for analyst, release and admin keys, 401 without a key', async () => {
    for (const client of [admin, await seedKey(env, 'analyst'), await seedKey(env, 'release')]) {
      const answer = await client.get('/v1/organizations/current');
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe('forbidden');
    }
    const anonymous = await new ApiClient(env.url).get('/v1/organizations/current');
    expect(anonymous.status).toBe(401);
  });

  it('is described in the OpenAPI document', async () => {
    const document = await new ApiClient(env.url).get('/docs/openapi.json');
    const operation = document.body.paths['/v1/organizations/current'].get;
    const schema = operation.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(['id', 'name', 'timezone', 'country', 'contract', 'limits']);
  });
});
