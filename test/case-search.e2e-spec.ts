import { createHash, randomBytes } from 'node:crypto';
import { seedCustomer, seedRelease, startTestEnvironment, submissionForm, TestEnvironment } from '@sigdesk/testing';

describe('GET /v1/submissions: search and the response clock', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 100);
  });
  afterAll(async () => {
    await env?.close();
  });

  it("finds a customer's case by reference or by a sample's SHA-256, never another organisation's", async () => {
    const mine = await seedCustomer(env, { roundTheClock: true });
    const theirs = await seedCustomer(env);
    const shared = randomBytes(64);
    const own = randomBytes(64);
    const first = await mine.client.upload('/v1/submissions', submissionForm({}, [{ name: 'a.bin', content: own }]));
    const second = await mine.client.upload(
      '/v1/submissions',
      submissionForm({ severity: '1' }, [{ name: 'b.bin', content: shared }]),
    );
    const other = await theirs.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'c.bin', content: shared }]),
    );
    expect([first.status, second.status, other.status]).toEqual([201, 201, 201]);

    const byReference = await mine.client.get(`/v1/submissions?q=${first.body.reference.toLowerCase()}`);
    expect(byReference.status).toBe(200);
    expect(byReference.body.items.map((c: { id: string }) => c.id)).toEqual([first.body.id]);

    const hash = createHash('sha256').update(shared).digest('hex');
    const byHash = await mine.client.get(`/v1/submissions?q=${hash.toUpperCase()}`);
    expect(byHash.body.items.map((c: { id: string }) => c.id)).toEqual([second.body.id]);
    // their case with the same file stays theirs
    expect((await theirs.client.get(`/v1/submissions?q=${hash}`)).body.items.map((c: { id: string }) => c.id)).toEqual([
      other.body.id,
    ]);
    // another organisation's reference finds nothing
    expect((await mine.client.get(`/v1/submissions?q=${other.body.reference}`)).body.items).toEqual([]);
  });

  it('tells where the response clock stands, in working seconds as the calendar counts them', async () => {
    const customer = await seedCustomer(env, { roundTheClock: true });
    const created = await customer.client.upload('/v1/submissions', submissionForm({ severity: '1' }));
    const listed = await customer.client.get('/v1/submissions');
    const clock = listed.body.items[0].responseClock;
    expect(clock.state).toBe('running');
    // MSA Start, severity 1: 6 working hours, every hour a working one here
    expect(clock.remainingWorkingSeconds).toBeGreaterThan(6 * 3600 - 120);
    expect(clock.remainingWorkingSeconds).toBeLessThanOrEqual(6 * 3600);
    const detail = await customer.client.get(`/v1/submissions/${created.body.id}`);
    expect(detail.body.responseClock.state).toBe('running');
  });

  it.each(['SD-20', 'x'.repeat(64), "'; DROP TABLE cases; --", 'a'.repeat(63)])('refuses q=%s with 400', async (q) => {
    const customer = await seedCustomer(env);
    const answer = await customer.client.get(`/v1/submissions?q=${encodeURIComponent(q)}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_input');
    expect(answer.body.fields[0].field).toBe('q');
  });
});
