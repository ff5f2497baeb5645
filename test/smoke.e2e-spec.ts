import {
  ApiClient,
  seedCustomer,
  seedRelease,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

describe('smoke', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('takes a submission', async () => {
    await seedRelease(env, 100);
    const customer = await seedCustomer(env);
    const res = await customer.client.upload('/v1/submissions', submissionForm());
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('queued');
    const health = await new ApiClient(env.url).get('/health/ready');
    expect(health.status).toBe(200);
  });
});
