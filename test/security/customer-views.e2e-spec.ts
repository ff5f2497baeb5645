import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  ApiClient,
  eventually,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
  WebhookReceiver,
} from '@sigdesk/testing';
import { emptyQueue } from '../support/cases';

/** What a customer could tell two answers apart by: everything but ids, references, times and hashes. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !['id', 'reference', 'at', 'occurredAt', 'createdAt', 'updatedAt'].includes(key))
        .map(([key, inner]) => [key, shape(inner)]),
    );
  }
  if (typeof value === 'string' && /^[0-9a-f]{32,64}$|^\d{4}-\d{2}-\d{2}T/.test(value)) return '(varies)';
  return value;
}

describe('a customer sees only their own case, built for them', () => {
  let env: TestEnvironment;
  let acme: SeededCustomer;
  let beta: SeededCustomer;
  let analyst: ApiClient;
  let otherAnalyst: ApiClient;
  let betaHook: WebhookReceiver;
  const analystKeyIds: string[] = [];

  beforeAll(async () => {
    // the customers' webhook receivers are local HTTP servers
    env = await startTestEnvironment({ env: { SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
    await seedRelease(env, 100);
    acme = await seedCustomer(env, { tier: 'msa_start', name: 'Acme Corp' });
    beta = await seedCustomer(env, { tier: 'standard', name: 'Beta Ltd' });
    analyst = await seedKey(env, 'analyst');
    otherAnalyst = await seedKey(env, 'analyst');
    for (const client of [analyst, otherAnalyst]) {
      const hash = createHash('sha256').update(client.key!).digest('hex');
      const row = await env.db
        .selectFrom('api_keys')
        .select('id')
        .where('key_hash', '=', hash)
        .executeTakeFirstOrThrow();
      analystKeyIds.push(row.id);
    }
    betaHook = await WebhookReceiver.start();
    const hook = await beta.client.post('/v1/webhooks', { url: `${betaHook.url}/hook` });
    expect(hook.status).toBe(201);
  });
  afterAll(async () => {
    await betaHook?.close();
    await env?.close();
  });

  async function submit(customer: SeededCustomer, content: Buffer, headers?: Record<string, string>) {
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '100' }, [{ name: 'dropper.exe', content }]),
      headers,
    );
    expect(res.status).toBe(201);
    return res;
  }

  /** Takes every queued case off the queue, so that the next claim is the case a test means. */
  async function drainQueue() {
    await emptyQueue(otherAnalyst, 'cleanup');
  }

  /** Waits for the intake of these cases: only then are they in the review queue, in contract order. */
  async function intakeDone(...ids: string[]) {
    await eventually(
      () => env.db.selectFrom('cases').select('intake_completed_at').where('id', 'in', ids).execute(),
      (rows) => rows.length === ids.length && rows.every((row) => row.intake_completed_at !== null),
    );
  }

  /** Acme and Beta send the same file; the analyst confirms Acme's case for the whole group. */
  async function groupVerdict(note: string) {
    await drainQueue();
    const shared = randomBytes(600);
    const first = (await submit(acme, shared)).body;
    const second = (await submit(beta, shared)).body;
    await intakeDone(first.id, second.id);
    const claimed = await analyst.post('/v1/review-queue/claim');
    expect(claimed.body.id).toBe(first.id);
    const verdict = await analyst.post(`/v1/cases/${first.id}/verdict`, {
      verdict: 'confirmed',
      note,
      applyToGroup: true,
    });
    expect(verdict.status).toBe(200);
    // the analysts' view keeps the group: they still see everything
    expect(verdict.body.appliedTo.sort()).toEqual([first.reference, second.reference].sort());
    expect(verdict.body.group.cases.map((c: any) => c.id).sort()).toEqual([first.id, second.id].sort());
    return { first, second };
  }

  /** A case of Beta's own, claimed and confirmed directly: what a verdict looks like without any group. */
  async function directVerdict(note: string) {
    await drainQueue();
    const alone = (await submit(beta, randomBytes(600))).body;
    await intakeDone(alone.id);
    const claimed = await analyst.post('/v1/review-queue/claim');
    expect(claimed.body.id).toBe(alone.id);
    const verdict = await analyst.post(`/v1/cases/${alone.id}/verdict`, { verdict: 'confirmed', note });
    expect(verdict.status).toBe(200);
    return alone;
  }

  function expectNothingOf(answer: unknown, first: { id: string; reference: string }, note: string) {
    const text = JSON.stringify(answer);
    expect(text).not.toContain(first.id);
    expect(text).not.toContain(first.reference);
    expect(text).not.toContain(note);
    expect(text).not.toContain('Acme');
    for (const keyId of analystKeyIds) expect(text).not.toContain(keyId);
    expect(text).not.toMatch(/group/i);
  }

  it("shows the other customer's case after a group verdict without the first case's id, reference or note", async () => {
    const note = `Same dropper as Acme Corp's report ${randomUUID()}`;
    const { first, second } = await groupVerdict(note);
    const detail = await beta.client.get(`/v1/submissions/${second.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.status).toBe('confirmed');
    expectNothingOf(detail.body, first, note);
  });

  it('shows a verdict that came with the group exactly as one given on the case alone', async () => {
    const note = `Group note ${randomUUID()}`;
    const { second } = await groupVerdict(note);
    const alone = await directVerdict(`Direct note ${randomUUID()}`);
    const [grouped, direct] = await Promise.all([
      beta.client.get(`/v1/submissions/${second.id}`),
      beta.client.get(`/v1/submissions/${alone.id}`),
    ]);
    const intake = (body: any) => ({
      ...body,
      timeline: body.timeline.filter((e: any) => e.type !== 'intake_completed'),
    });
    expect(shape(intake(grouped.body))).toEqual(shape(intake(direct.body)));
    expect(intake(grouped.body).timeline.at(-1)).toMatchObject({
      type: 'status_changed',
      fromStatus: 'in_review',
      toStatus: 'confirmed',
      by: { role: 'analyst' },
      data: { verdict: 'confirmed' },
    });
  });

  it("lists the other customer's cases without anything of the first case", async () => {
    const note = `Listed note ${randomUUID()}`;
    const { first, second } = await groupVerdict(note);
    const list = await beta.client.get('/v1/submissions?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: any) => c.id)).toContain(second.id);
    expectNothingOf(list.body, first, note);
  });

  it("sends the other customer's webhook the verdict without the first case's id, reference or note", async () => {
    const note = `Webhook note ${randomUUID()}`;
    const { first, second } = await groupVerdict(note);
    const bodies = await betaHook.payloadsAbout(second.id, 3);
    for (const body of bodies) expectNothingOf(body, first, note);
    const confirmed = bodies.find((b) => b.case.status === 'confirmed');
    expect(confirmed.case).toEqual({
      id: second.id,
      reference: second.reference,
      status: 'confirmed',
      previousStatus: 'in_review',
      verdict: 'confirmed',
      message: expect.any(String),
    });
    // and the same as for a verdict given on the case alone
    const alone = await directVerdict(`Direct webhook note ${randomUUID()}`);
    const direct = (await betaHook.payloadsAbout(alone.id, 3)).find((b) => b.case.status === 'confirmed');
    expect(shape(confirmed)).toEqual(shape(direct));
  });

  it("never shows a customer the analysts' key ids, whoever claims, takes over or releases the case", async () => {
    await drainQueue();
    const mine = (await submit(beta, randomBytes(600))).body;
    expect((await analyst.post('/v1/review-queue/claim')).body.id).toBe(mine.id);
    expect((await otherAnalyst.post(`/v1/cases/${mine.id}/takeover`)).status).toBe(200);
    expect((await otherAnalyst.post(`/v1/cases/${mine.id}/responses`, { message: 'Which build?' })).status).toBe(200);
    expect((await otherAnalyst.post(`/v1/cases/${mine.id}/release`)).status).toBe(200);
    const detail = await beta.client.get(`/v1/submissions/${mine.id}`);
    const bodies = await betaHook.payloadsAbout(mine.id, 3);
    for (const answer of [detail.body, ...bodies]) {
      const text = JSON.stringify(answer);
      for (const keyId of analystKeyIds) expect(text).not.toContain(keyId);
      expect(text).not.toContain('assignedTo');
    }
    // what the customer sees of who did what: a role
    expect(detail.body.timeline.map((e: any) => e.by)).toContainEqual({ role: 'analyst' });
    expect(detail.body.timeline.find((e: any) => e.type === 'response').data).toEqual({ message: 'Which build?' });
    // analysts still see who
    const seen = await analyst.get(`/v1/cases/${mine.id}`);
    expect(JSON.stringify(seen.body)).toContain(analystKeyIds[1]);
  });

  it('answers a submission of a file another organisation sent exactly as one of a file nobody sent', async () => {
    const shared = randomBytes(600);
    await submit(acme, shared);
    const duplicate = await submit(beta, shared);
    const fresh = await submit(beta, randomBytes(600));
    expect(shape(duplicate.body)).toEqual(shape(fresh.body));
    const [duplicateDetail, freshDetail] = await Promise.all([
      beta.client.get(`/v1/submissions/${duplicate.body.id}`),
      beta.client.get(`/v1/submissions/${fresh.body.id}`),
    ]);
    // the response clocks are read a moment apart: they agree to the second or two, not exactly
    const counted = (body: any) => body.responseClock.countingForSeconds;
    expect(Math.abs(counted(duplicateDetail.body) - counted(freshDetail.body))).toBeLessThanOrEqual(2);
    const beforeIntake = (body: any) => ({
      ...body,
      responseClock: { ...body.responseClock, countingForSeconds: '(a moment apart)' },
      timeline: body.timeline.slice(0, 2),
    });
    expect(shape(beforeIntake(duplicateDetail.body))).toEqual(shape(beforeIntake(freshDetail.body)));
  });

  it("keeps each organisation's Idempotency-Keys to itself: the same key and file from another one open a new case", async () => {
    const key = randomUUID();
    const content = randomBytes(600);
    const theirs = await submit(acme, content, { 'idempotency-key': key });
    const mine = await submit(beta, content, { 'idempotency-key': key });
    expect(mine.body.id).not.toBe(theirs.body.id);
    expect(mine.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.stringify(mine.body)).not.toContain(theirs.body.reference);
  });

  it("answers a look at another organisation's case exactly as one at a case that does not exist", async () => {
    const theirs = (await submit(acme, randomBytes(600))).body;
    const [existing, missing] = await Promise.all([
      beta.client.get(`/v1/submissions/${theirs.id}`),
      beta.client.get(`/v1/submissions/${randomUUID()}`),
    ]);
    expect(existing.status).toBe(404);
    expect({ status: existing.status, body: existing.body }).toEqual({ status: missing.status, body: missing.body });
  });

  it("answers a reply to another organisation's case exactly as one to a case that does not exist, storing nothing", async () => {
    const theirs = (await submit(acme, randomBytes(600))).body;
    // intake adds its event meanwhile: compared once it is done, the events show only what the reply did
    await eventually(
      () =>
        env.db.selectFrom('cases').select('intake_completed_at').where('id', '=', theirs.id).executeTakeFirstOrThrow(),
      (row) => row.intake_completed_at !== null,
    );
    const eventsBefore = await env.db.selectFrom('case_events').selectAll().where('case_id', '=', theirs.id).execute();
    const [existing, missing] = await Promise.all([
      beta.client.post(`/v1/submissions/${theirs.id}/replies`, { message: 'here it is' }),
      beta.client.post(`/v1/submissions/${randomUUID()}/replies`, { message: 'here it is' }),
    ]);
    expect(existing.status).toBe(404);
    expect({ status: existing.status, body: existing.body }).toEqual({ status: missing.status, body: missing.body });
    expect(await env.db.selectFrom('case_events').selectAll().where('case_id', '=', theirs.id).execute()).toEqual(
      eventsBefore,
    );
  });
});
