import { createHash, randomBytes } from 'node:crypto';
import {
  ApiClient,
  eventually,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';
import { CompiledQuery, Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import { emptyQueue, submitCase } from './support/cases';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/**
 * What the analyst console reads and does beyond the contract's first endpoints: the queue filtered and with who
 * holds what, claiming one given case, and a case with its triage, clock and the other cases of its samples.
 */
describe('the review queue and cases for the console', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let analysts: ApiClient[];

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: true });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start', name: 'MSA Co', roundTheClock: true });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    analysts = await Promise.all([1, 2, 3, 4].map(() => seedKey(env, 'analyst')));
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  /** A case, once intake has checked its samples and queued it. */
  async function submit(customer: SeededCustomer, fields: Record<string, string> = {}, content = randomBytes(300)) {
    const created = await submitCase(customer, { databaseVersion: '1', ...fields }, [{ name: 's.bin', content }]);
    await eventually(
      () => analysts[0].get(`/v1/cases/${created.id}`),
      (r) => r.body.timeline.some((e: { type: string }) => e.type === 'intake_completed'),
    );
    return created;
  }

  async function drainQueue() {
    await emptyQueue(analysts[0]);
    const inReview = await env.db.selectFrom('cases').select('id').where('status', '=', 'in_review').execute();
    for (const { id } of inReview) {
      await analysts[0].post(`/v1/cases/${id}/takeover`);
      await analysts[0].post(`/v1/cases/${id}/verdict`, { verdict: 'declined', note: 'test cleanup' });
    }
  }

  const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((item) => item.id);

  it('filters the queue by tier, premium, severity and kind, and pages the filtered queue in order', async () => {
    await drainQueue();
    const m1 = await submit(msa, { severity: '1' });
    const m2premium = await submit(msa, { severity: '2', premium: 'true' });
    // (a false positive would be fixed at intake: the baseline database detects nothing)
    const m3 = await submit(msa, { severity: '3' });
    const s1 = await submit(standard, { severity: '1' });
    const s4 = await submit(standard, { severity: '4' });

    expect(ids(await analysts[0].get('/v1/review-queue'))).toEqual([m2premium.id, m1.id, m3.id, s1.id, s4.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?tier=standard'))).toEqual([s1.id, s4.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?tier=msa_start&premium=false'))).toEqual([m1.id, m3.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?severity=1'))).toEqual([m1.id, s1.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?kind=false_positive'))).toEqual([]);
    expect(ids(await analysts[0].get('/v1/review-queue?kind=false_negative&severity=3'))).toEqual([m3.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?premium=true&tier=standard'))).toEqual([]);

    const first = await analysts[0].get('/v1/review-queue?premium=false&limit=2');
    expect(ids(first)).toEqual([m1.id, m3.id]);
    const second = await analysts[0].get(`/v1/review-queue?premium=false&limit=2&cursor=${first.body.nextCursor}`);
    expect(ids(second)).toEqual([s1.id, s4.id]);
    expect(second.body.nextCursor).toBeNull();

    // the clock of each case, as its customer's calendar counts it, with the whole response time for its risk
    const [top] = (await analysts[0].get('/v1/review-queue?severity=1&tier=msa_start')).body.items;
    expect(top.responseClock).toMatchObject({ state: 'running', targetWorkingSeconds: 6 * 3600 });
    expect(top.responseClock.remainingWorkingSeconds).toBeGreaterThan(6 * 3600 - 120);
    expect(top.responseClock.countingForSeconds).toBeGreaterThan(0);
    expect(top).toMatchObject({ status: 'queued', claim: null, organization: { name: 'MSA Co' } });
  });

  it('refuses filters it does not know or values out of range with 400', async () => {
    for (const query of [
      'tier=gold',
      'premium=yes',
      'severity=5',
      'severity=0',
      'kind=virus',
      'claimed=maybe',
      'x=1',
    ]) {
      const res = await analysts[0].get(`/v1/review-queue?${query}`);
      expect([query, res.status, res.body.error]).toEqual([query, 400, 'invalid_input']);
    }
  });

  it('lists the claimed cases with who holds them, and shows a claim left untouched as stale', async () => {
    await drainQueue();
    const queued = await submit(standard, { severity: '2' });
    const fresh = await submit(msa, { severity: '3' });
    const idle = await submit(msa, { severity: '1' });
    expect((await analysts[1].post(`/v1/cases/${fresh.id}/claim`)).status).toBe(200);
    expect((await analysts[2].post(`/v1/cases/${idle.id}/claim`)).status).toBe(200);
    const untouchedSince = new Date(Date.now() - env.config.review.claimTimeoutMs * 0.6);
    await env.db
      .updateTable('cases')
      .set({ last_analyst_activity_at: untouchedSince })
      .where('id', '=', idle.id)
      .execute();

    expect(ids(await analysts[0].get('/v1/review-queue'))).toEqual([queued.id]);
    const claimed = await analysts[0].get('/v1/review-queue?claimed=yes');
    expect(ids(claimed)).toEqual([idle.id, fresh.id]);
    expect(claimed.body.items[0]).toMatchObject({
      status: 'in_review',
      claim: { holder: { kind: 'key', name: 'analyst for tests' }, stale: true },
    });
    expect(claimed.body.items[0].claim.releasesAt).toBe(
      new Date(untouchedSince.getTime() + env.config.review.claimTimeoutMs).toISOString(),
    );
    expect(claimed.body.items[1].claim).toMatchObject({ stale: false });
    expect(claimed.body.items[0].claim.holder.id).not.toBe(claimed.body.items[1].claim.holder.id);
    expect(ids(await analysts[0].get('/v1/review-queue?claimed=any'))).toEqual([idle.id, fresh.id, queued.id]);
    expect(ids(await analysts[0].get('/v1/review-queue?claimed=any&tier=msa_start&severity=3'))).toEqual([fresh.id]);
  });

  it('claims one given case atomically: once among analysts racing for it, again for its holder, 409 for the rest', async () => {
    await drainQueue();
    const target = await submit(standard, { severity: '4' });
    const claims = await Promise.all(analysts.map((analyst) => analyst.post(`/v1/cases/${target.id}/claim`)));
    const won = claims.filter((c) => c.status === 200);
    expect(won).toHaveLength(1);
    expect(claims.filter((c) => c.status === 409).map((c) => c.body.error)).toEqual([
      'claimed_by_another',
      'claimed_by_another',
      'claimed_by_another',
    ]);
    const winner = analysts[claims.indexOf(won[0])];
    expect(won[0].body).toMatchObject({ id: target.id, status: 'in_review', claim: { stale: false } });

    // its holder claiming it again changes nothing, and the timeline has one claim
    const again = await winner.post(`/v1/cases/${target.id}/claim`);
    expect(again.status).toBe(200);
    const claimEvents = again.body.timeline.filter((e: { toStatus: string }) => e.toStatus === 'in_review');
    expect(claimEvents).toHaveLength(1);

    await winner.post(`/v1/cases/${target.id}/verdict`, { verdict: 'declined', note: 'not ours' });
    const closed = await analysts[0].post(`/v1/cases/${target.id}/claim`);
    expect([closed.status, closed.body.error, closed.body.status]).toEqual([409, 'not_queued', 'declined']);
  });

  it('refuses a claim without credentials, by a customer, of an unknown case or a malformed id', async () => {
    const target = await submit(standard);
    expect((await new ApiClient(env.url).post(`/v1/cases/${target.id}/claim`)).status).toBe(401);
    expect((await standard.client.post(`/v1/cases/${target.id}/claim`)).status).toBe(403);
    expect((await (await seedKey(env, 'release')).post(`/v1/cases/${target.id}/claim`)).status).toBe(403);
    const unknown = await analysts[0].post(`/v1/cases/${UNKNOWN}/claim`);
    expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found']);
    expect((await analysts[0].post('/v1/cases/not-an-id/claim')).status).toBe(400);
    // nothing of it was claimed
    expect((await analysts[0].get(`/v1/cases/${target.id}`)).body.status).toBe('queued');
  });

  it("shows a case's triage, its clock, who holds it and the other cases with the same sample", async () => {
    const content = randomBytes(500);
    const first = await submit(standard, { severity: '2' }, content);
    const second = await submit(msa, { severity: '1' }, content);
    const alone = await submit(msa, { severity: '1' });
    await analysts[3].post(`/v1/cases/${second.id}/claim`);

    const detail = await analysts[0].get(`/v1/cases/${second.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.samples).toEqual([
      expect.objectContaining({
        sha256: sha256(content),
        sha1: createHash('sha1').update(content).digest('hex'),
        md5: createHash('md5').update(content).digest('hex'),
        size: 500,
        otherCases: [
          {
            id: first.id,
            reference: first.reference,
            status: 'queued',
            organization: expect.objectContaining({ name: 'Standard Co' }),
          },
        ],
        otherCasesTotal: 1,
      }),
    ]);
    expect(detail.body.triage).toEqual({
      databaseVersion: 1,
      samples: [{ sha256: sha256(content), detected: false, rules: [], allowlisted: false }],
      scheduled: null,
    });
    expect(detail.body.responseClock).toMatchObject({ state: 'running', targetWorkingSeconds: 6 * 3600 });
    expect(detail.body.claim).toMatchObject({ holder: { kind: 'key', name: 'analyst for tests' }, stale: false });
    expect(detail.body.customer).toMatchObject({ name: 'MSA Co' });
    expect(detail.body.contract).toMatchObject({ tier: 'msa_start' });

    const other = await analysts[0].get(`/v1/cases/${first.id}`);
    expect(other.body.samples[0].otherCases.map((c: { id: string }) => c.id)).toEqual([second.id]);
    expect(other.body.claim).toBeNull();
    expect((await analysts[0].get(`/v1/cases/${alone.id}`)).body.samples[0]).toMatchObject({
      otherCases: [],
      otherCasesTotal: 0,
    });
  });

  it('reads the queued and the claimed parts of the queue through partial indexes, among many closed cases', async () => {
    const template = await submit(standard, { severity: '3' });
    await sql`
      INSERT INTO cases (reference, organization_id, contract_id, tier, kind, severity, premium, status, product,
        product_version, database_channel, database_version, description, submitted_by, response_due_at)
      SELECT 'COPY-' || gen_random_uuid(), organization_id, contract_id, tier, kind, severity, premium,
        CASE WHEN g % 500 = 0 THEN 'in_review' ELSE 'closed' END, product, product_version, database_channel,
        database_version, description, submitted_by, response_due_at + g * interval '1 second'
      FROM cases, generate_series(1, 20000) g WHERE id = ${template.id}`.execute(env.db);
    await sql`ANALYZE cases`.execute(env.db);

    const executor = env.sigdesk.app.get<Kysely<DB>>(Kysely).getExecutor();
    const executeQuery = jest.spyOn(executor, 'executeQuery');
    let sent: CompiledQuery[];
    try {
      expect((await analysts[0].get('/v1/review-queue?claimed=any&severity=3')).status).toBe(200);
      sent = executeQuery.mock.calls.map(([query]) => query);
    } finally {
      executeQuery.mockRestore();
    }
    const page = sent.find((query) => /UNION ALL/.test(query.sql));
    const { rows } = await env.db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${page!.sql}`, [...page!.parameters]),
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan using cases_review_queue_idx/);
    // the claimed cases are few (a handful per analyst): their partial index finds them without the closed ones
    expect(plan).toMatch(/Index Scan using cases_claimed_idx/);
    expect(plan).not.toMatch(/Seq Scan/);
    await sql`DELETE FROM cases WHERE reference LIKE 'COPY-%'`.execute(env.db);
  });
});
