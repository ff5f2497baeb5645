import { createHash, randomBytes } from 'node:crypto';
import {
  ApiClient,
  eventually,
  countryWithoutHolidayNow,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';
import { CompiledQuery, Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import { ReviewService, SlaTimers } from '@sigdesk/review';
import { submitCase } from './support/cases';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A case of `customer` with one sample (`content`), on database 1 unless `fields` say otherwise. */
function submit(customer: SeededCustomer, fields: Record<string, string | undefined> = {}, content = randomBytes(200)) {
  return submitCase(customer, { databaseVersion: '1', ...fields }, [{ name: 's.bin', content }]);
}

describe('the review queue', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let analysts: ApiClient[];

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start', name: 'MSA Co' });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    analysts = await Promise.all([1, 2, 3, 4].map(() => seedKey(env, 'analyst')));
  });
  afterAll(async () => {
    await env?.close();
  });

  async function drainQueue() {
    for (;;) {
      const claimed = await analysts[0].post('/v1/review-queue/claim');
      if (claimed.status === 204) return;
      await analysts[0].post(`/v1/cases/${claimed.body.id}/verdict`, { verdict: 'declined', note: 'test cleanup' });
    }
  }

  it('lists cases in the order work must be done: tier, premium, severity, due time', async () => {
    await drainQueue();
    const s1 = await submit(standard, { severity: '1' });
    const m4 = await submit(msa, { severity: '4' });
    const m2 = await submit(msa, { severity: '2' });
    const m3premium = await submit(msa, { severity: '3', premium: 'true' });
    const s4 = await submit(standard, { severity: '4' });
    const queue = await analysts[0].get('/v1/review-queue');
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((c: any) => c.id)).toEqual([m3premium.id, m2.id, m4.id, s1.id, s4.id]);
    expect(queue.body.items[0]).toMatchObject({
      tier: 'msa_start',
      premium: true,
      severity: 3,
      organization: { name: 'MSA Co' },
    });
    expect(typeof queue.body.items[0].msLeft).toBe('number');

    const firstPage = await analysts[0].get('/v1/review-queue?limit=2');
    const secondPage = await analysts[0].get(`/v1/review-queue?limit=2&cursor=${firstPage.body.nextCursor}`);
    expect([...firstPage.body.items, ...secondPage.body.items].map((c: any) => c.id)).toEqual([
      m3premium.id,
      m2.id,
      m4.id,
      s1.id,
    ]);
  });

  it('never gives the same case to two analysts claiming at once', async () => {
    await drainQueue();
    const created = [];
    for (let i = 0; i < 8; i++) created.push(await submit(i % 2 ? msa : standard, { severity: String((i % 4) + 1) }));
    const claims = await Promise.all(
      Array.from({ length: 16 }, (_, i) => analysts[i % 4].post('/v1/review-queue/claim')),
    );
    const claimed = claims.filter((c) => c.status === 200).map((c) => c.body.id);
    expect(claimed).toHaveLength(8);
    expect(new Set(claimed)).toEqual(new Set(created.map((c) => c.id)));
    expect(claims.filter((c) => c.status === 204)).toHaveLength(8);
  });

  it('lets an analyst release a case, and gives back claims left untouched', async () => {
    await drainQueue();
    const created = await submit(standard);
    const claimed = await analysts[1].post('/v1/review-queue/claim');
    expect(claimed.body).toMatchObject({ id: created.id, status: 'in_review', assignedTo: expect.any(String) });
    const released = await analysts[1].post(`/v1/cases/${created.id}/release`);
    expect(released.body.status).toBe('queued');

    await analysts[2].post('/v1/review-queue/claim');
    const review = env.sigdesk.app.get(ReviewService);
    expect(await review.releaseStaleClaims(new Date())).toBe(0);
    const inReview = await env.db.selectFrom('cases').select('id').where('status', '=', 'in_review').execute();
    expect(inReview.map((c) => c.id)).toContain(created.id);
    const later = new Date(Date.now() + env.config.review.claimTimeoutMs + 60_000);
    expect(await review.releaseStaleClaims(later)).toBe(inReview.length);
    const detail = await analysts[0].get(`/v1/cases/${created.id}`);
    expect(detail.body.status).toBe('queued');
    expect(detail.body.timeline.at(-1)).toMatchObject({
      toStatus: 'queued',
      by: { role: 'system' },
      data: { reason: 'claim timed out' },
    });
  });

  it('refuses what makes no sense in the current status with 409, and answers for another analyst only after a takeover', async () => {
    await drainQueue();
    const created = await submit(standard);
    expect(
      (await analysts[0].post(`/v1/cases/${created.id}/verdict`, { verdict: 'confirmed', note: 'x' })).status,
    ).toBe(409);
    await analysts[0].post('/v1/review-queue/claim');
    const foreign = await analysts[1].post(`/v1/cases/${created.id}/responses`, { message: 'hello' });
    expect(foreign.status).toBe(409);
    expect(foreign.body.error).toBe('claimed_by_another');
    expect((await analysts[1].post(`/v1/cases/${created.id}/takeover`)).status).toBe(200);
    expect((await analysts[1].post(`/v1/cases/${created.id}/responses`, { message: 'We reproduce it.' })).status).toBe(
      200,
    );
    expect((await analysts[0].post(`/v1/cases/${created.id}/responses`, { message: 'me too' })).status).toBe(409);
    expect((await standard.client.post(`/v1/submissions/${created.id}/replies`, { message: 'hi' })).body.error).toBe(
      'not_awaiting_customer',
    );
  });

  it('stops the clock at the qualified response and pauses it while waiting for the customer', async () => {
    await drainQueue();
    const created = await submit(msa, { severity: '1' });
    await analysts[0].post('/v1/review-queue/claim');
    const asked = await analysts[0].post(`/v1/cases/${created.id}/responses`, {
      message: 'Please send the dropper too.',
      awaitCustomer: true,
    });
    expect(asked.body).toMatchObject({ status: 'awaiting_customer', sla: { paused: true }, firstResponseAt: null });
    const pausedRow = await env.db
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    // the customer answers later: the working time left at the pause is kept
    const form = new FormData();
    form.append('message', 'Here is the dropper.');
    form.append('sample', new Blob([randomBytes(700)]), 'dropper.exe');
    const replied = await msa.client.upload(`/v1/submissions/${created.id}/replies`, form);
    expect(replied.status).toBe(201);
    expect(replied.body.samplesAdded).toBe(1);
    expect((await analysts[0].get(`/v1/cases/${created.id}`)).body.samples).toHaveLength(2);
    const resumed = await env.db.selectFrom('cases').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(resumed.status).toBe('in_review');
    expect(resumed.sla_paused_at).toBeNull();
    expect(resumed.response_due_at!.getTime()).toBeGreaterThanOrEqual(pausedRow.response_due_at!.getTime());

    const answered = await analysts[0].post(`/v1/cases/${created.id}/responses`, {
      message: 'Confirmed: a new dropper.',
    });
    expect(answered.body.firstResponseAt).toEqual(expect.any(String));
    const customerView = await msa.client.get(`/v1/submissions/${created.id}`);
    expect(customerView.body.timeline.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['question', 'customer_reply', 'response']),
    );
  });

  it('links cases that share a sample and applies one verdict to the group', async () => {
    await drainQueue();
    const shared = randomBytes(500);
    const first = await submit(msa, {}, shared);
    const second = await submit(standard, {}, shared);
    const queue = await analysts[0].get('/v1/review-queue');
    expect(queue.body.items.find((c: any) => c.id === second.id).group).toEqual({ id: first.id, size: 2 });
    const claimed = await analysts[0].post('/v1/review-queue/claim');
    expect(claimed.body.id).toBe(first.id);
    const verdict = await analysts[0].post(`/v1/cases/${first.id}/verdict`, {
      verdict: 'confirmed',
      note: 'New variant of Trojan.Win32.Agent.',
      applyToGroup: true,
    });
    expect(verdict.status).toBe(200);
    expect(verdict.body.appliedTo).toHaveLength(2);
    const other = await standard.client.get(`/v1/submissions/${second.id}`);
    expect(other.body.status).toBe('confirmed');
  });

  it('leaves a case of the group that another analyst has claimed to them, and says so', async () => {
    await drainQueue();
    const shared = randomBytes(500);
    const mine = await submit(msa, {}, shared);
    const theirs = await submit(msa, {}, shared);
    const unclaimed = await submit(standard, {}, shared);
    expect((await analysts[1].post('/v1/review-queue/claim')).body.id).toBe(mine.id);
    expect((await analysts[2].post('/v1/review-queue/claim')).body.id).toBe(theirs.id);
    const verdict = await analysts[1].post(`/v1/cases/${mine.id}/verdict`, {
      verdict: 'confirmed',
      note: 'New variant.',
      applyToGroup: true,
    });
    expect(verdict.status).toBe(200);
    expect(verdict.body.appliedTo).toEqual([mine.reference, unclaimed.reference]);
    expect(verdict.body.skipped).toEqual([
      { id: theirs.id, reference: theirs.reference, reason: 'claimed_by_another' },
    ]);
    const untouched = await analysts[2].get(`/v1/cases/${theirs.id}`);
    expect(untouched.body).toMatchObject({ status: 'in_review', verdict: null });
    expect((await standard.client.get(`/v1/submissions/${unclaimed.id}`)).body.status).toBe('confirmed');
  });

  it('applies two group verdicts given at once in one group, each to its own case and to unclaimed ones only', async () => {
    for (let round = 0; round < 3; round++) {
      await drainQueue();
      const shared = randomBytes(500);
      const first = await submit(msa, {}, shared);
      const second = await submit(msa, {}, shared);
      const unclaimed = [await submit(standard, {}, shared), await submit(standard, {}, shared)];
      expect((await analysts[1].post('/v1/review-queue/claim')).body.id).toBe(first.id);
      expect((await analysts[2].post('/v1/review-queue/claim')).body.id).toBe(second.id);

      const [byFirst, bySecond] = await Promise.all([
        analysts[1].post(`/v1/cases/${first.id}/verdict`, { verdict: 'confirmed', note: 'A', applyToGroup: true }),
        analysts[2].post(`/v1/cases/${second.id}/verdict`, { verdict: 'declined', note: 'B', applyToGroup: true }),
      ]);
      expect([byFirst.status, bySecond.status]).toEqual([200, 200]);
      expect(byFirst.body.status).toBe('confirmed');
      expect(bySecond.body.status).toBe('declined');
      const applied: string[] = [...byFirst.body.appliedTo, ...bySecond.body.appliedTo];
      expect(applied.sort()).toEqual([first, second, ...unclaimed].map((c) => c.reference).sort());
      for (const other of unclaimed) {
        const { body } = await standard.client.get(`/v1/submissions/${other.id}`);
        expect(['confirmed', 'declined']).toContain(body.status);
      }
    }
  });

  it('serves a sample only inside a ZIP protected with "infected", and only to analysts', async () => {
    const content = Buffer.concat([Buffer.from('MZ'), randomBytes(3000)]);
    const created = await submit(standard, {}, content);
    const res = await fetch(`${env.url}/v1/cases/${created.id}/samples/${sha256(content)}`, {
      headers: { authorization: `Bearer ${analysts[0].key}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.includes(content.subarray(0, 64))).toBe(false);
    const { ZipReader, Uint8ArrayReader, Uint8ArrayWriter } = await import('@zip.js/zip.js');
    const [entry] = await new ZipReader(new Uint8ArrayReader(zip)).getEntries();
    expect(entry.encrypted).toBe(true);
    if (entry.directory) throw new Error('the download holds a directory');
    const unpacked = Buffer.from(await entry.getData(new Uint8ArrayWriter(), { password: 'infected' }));
    expect(sha256(unpacked)).toBe(sha256(content));

    const asCustomer = await standard.client.get(`/v1/cases/${created.id}/samples/${sha256(content)}`);
    expect(asCustomer.status).toBe(403);
    expect((await analysts[0].get(`/v1/cases/${created.id}/samples/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it("shows a sample's bytes as hex and its strings at their offsets, a window at a time, to analysts only", async () => {
    const head = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62, 0)]);
    const ascii = Buffer.from('http://c2.example/gate.php');
    const wide = Buffer.from('Global\\SigdeskMutex', 'utf16le');
    const content = Buffer.concat([head, ascii, Buffer.alloc(10, 0xff), wide, Buffer.alloc(200, 0x90)]);
    const created = await submit(standard, {}, content);
    const hash = sha256(content);
    const base = `/v1/cases/${created.id}/samples/${hash}`;

    const bytes = await analysts[0].get(`${base}/bytes?offset=0&length=4`);
    expect(bytes.status).toBe(200);
    expect(bytes.body).toEqual({ sha256: hash, size: content.length, offset: 0, length: 4, hex: '4d5a0000' });
    const tail = await analysts[0].get(`${base}/bytes?offset=${content.length - 2}&length=100`);
    expect(tail.body).toMatchObject({ length: 2, hex: '9090' });

    const strings = await analysts[0].get(`${base}/strings?minLength=8`);
    expect(strings.status).toBe(200);
    expect(strings.body).toMatchObject({ size: content.length, nextOffset: null });
    expect(strings.body.strings).toEqual([
      { offset: 64, encoding: 'ascii', byteLength: ascii.length, text: 'http://c2.example/gate.php' },
      { offset: 64 + ascii.length + 10, encoding: 'utf16le', byteLength: wide.length, text: 'Global\\SigdeskMutex' },
    ]);

    // a window that ends inside the URL leaves it whole to the next window, which starts where it does
    const first = await analysts[0].get(`${base}/strings?offset=0&length=70&minLength=4`);
    expect(first.body).toMatchObject({ strings: [], nextOffset: 64, window: { offset: 0, length: 64 } });
    const next = await analysts[0].get(`${base}/strings?offset=64&length=${ascii.length}&minLength=4`);
    expect(next.body.strings[0]).toMatchObject({ offset: 64, text: 'http://c2.example/gate.php' });

    for (const query of ['offset=-1', 'length=0', 'length=65537', 'offset=1e3', 'offset=abc', 'extra=1']) {
      const refused = await analysts[0].get(`${base}/bytes?${query}`);
      expect([query, refused.status]).toEqual([query, 400]);
    }
    const beyond = await analysts[0].get(`${base}/bytes?offset=${content.length}`);
    expect(beyond.status).toBe(422);
    expect(beyond.body).toMatchObject({ error: 'offset_beyond_end', size: content.length });
    expect((await analysts[0].get(`${base}/strings?minLength=2`)).status).toBe(400);
    expect((await analysts[0].get(`/v1/cases/${created.id}/samples/${'0'.repeat(64)}/bytes`)).status).toBe(404);
    expect((await analysts[0].get(`/v1/cases/${created.id}/samples/NOT-A-HASH/strings`)).status).toBe(400);
    // a sample of another case is not reached through this one
    const other = await submit(standard, {}, randomBytes(100));
    expect((await analysts[0].get(`/v1/cases/${other.id}/samples/${hash}/bytes`)).status).toBe(404);
    expect((await standard.client.get(`${base}/bytes`)).status).toBe(403);
    expect((await standard.client.get(`${base}/strings`)).status).toBe(403);
  });

  it('keeps customers out of every analyst route', async () => {
    for (const [method, path] of [
      ['GET', '/v1/review-queue'],
      ['POST', '/v1/review-queue/claim'],
      ['GET', '/v1/cases/00000000-0000-4000-8000-000000000000'],
    ]) {
      expect((await msa.client.request(method, path, method === 'POST' ? { json: {} } : {})).status).toBe(403);
    }
  });
});

describe('response-time warnings and breaches', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    // 4 seconds to a qualified response for standard severity 4, warned at 75%
    env = await startTestEnvironment({
      env: { SIGDESK_RESPONSE_TARGETS: JSON.stringify({ standard: { '4': 4 / 3600 } }) },
    });
    await seedRelease(env, 1);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('warns before a response is due and records the breach when it passes, as events and metrics', async () => {
    const customer = await seedCustomer(env, {
      tier: 'standard',
      roundTheClock: true,
      country: await countryWithoutHolidayNow(),
    });
    const created = await submit(customer, { severity: '4' });
    const analyst = await seedKey(env, 'analyst');
    const detail = await eventually(
      () => analyst.get(`/v1/cases/${created.id}`),
      (res) => res.body.timeline.some((e: any) => e.type === 'sla_breached'),
    );
    const types = detail.body.timeline.map((e: any) => e.type);
    expect(types.filter((t: string) => t === 'sla_warning')).toHaveLength(1);
    expect(types.filter((t: string) => t === 'sla_breached')).toHaveLength(1);
    expect(types.indexOf('sla_warning')).toBeLessThan(types.indexOf('sla_breached'));
    expect(detail.body.sla).toMatchObject({ warnedAt: expect.any(String), breachedAt: expect.any(String) });
    const metrics = await new ApiClient(env.url).get<string>('/metrics');
    expect(metrics.body).toContain('sigdesk_sla_events{kind="breach"} 1');
  });

  it('does not breach a case whose clock is paused, and the sweep finds what a lost timer missed', async () => {
    const customer = await seedCustomer(env, {
      tier: 'standard',
      roundTheClock: true,
      country: await countryWithoutHolidayNow(),
    });
    const created = await submit(customer, { severity: '4' });
    // a lost timer: the clock is due, but nothing fired
    await env.db.deleteFrom('outbox').where('dispatched_at', 'is', null).execute();
    const { SlaTimers } = await import('@sigdesk/review');
    const timers = env.sigdesk.app.get(SlaTimers);
    await env.db.updateTable('cases').set({ sla_paused_at: new Date() }).where('id', '=', created.id).execute();
    const later = new Date(Date.now() + 60_000);
    const paused = await timers.sweep(later);
    expect(paused).toEqual({ warnings: 0, breaches: 0 });
    await env.db.updateTable('cases').set({ sla_paused_at: null }).where('id', '=', created.id).execute();
    const swept = await timers.sweep(later);
    expect(swept.breaches).toBeGreaterThanOrEqual(1);
    const again = await timers.sweep(later);
    expect(again).toEqual({ warnings: 0, breaches: 0 });
  });
});

describe('the response clock sweep', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;

  beforeAll(async () => {
    // no worker: its own periodic sweep would race the sweeps under test
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'standard' });
  });
  afterAll(async () => {
    await env?.close();
  });

  /**
   * `count` copies of a submitted case with `changes` applied, their responses due one second apart going back
   * from `dueBefore`, their warnings an hour before that; returns their ids.
   */
  async function overdueCopies(
    templateId: string,
    count: number,
    dueBefore: Date,
    changes: { status: string; first_response_at?: Date; sla_paused_at?: Date },
  ): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      INSERT INTO cases (reference, organization_id, contract_id, tier, kind, severity, premium, status, product,
        product_version, database_channel, database_version, description, submitted_by, response_due_at,
        sla_warning_at, first_response_at, sla_paused_at)
      SELECT 'COPY-' || gen_random_uuid(), organization_id, contract_id, tier, kind, severity, premium, ${changes.status},
        product, product_version, database_channel, database_version, description, submitted_by,
        ${dueBefore}::timestamptz - g * interval '1 second',
        ${dueBefore}::timestamptz - g * interval '1 second' - interval '1 hour',
        ${changes.first_response_at ?? null}::timestamptz, ${changes.sla_paused_at ?? null}::timestamptz
      FROM cases, generate_series(1, ${count}) g WHERE id = ${templateId}
      RETURNING id`.execute(env.db);
    return rows.map((r) => r.id);
  }

  it('records the breach of a running clock behind more than a page of closed, answered and paused overdue cases', async () => {
    const live = await submit(customer, { severity: '4' });
    const { response_due_at: dueAt } = await env.db
      .selectFrom('cases')
      .select('response_due_at')
      .where('id', '=', live.id)
      .executeTakeFirstOrThrow();
    const before = new Date(dueAt!.getTime() - 60_000);
    // everything the sweep used to take first: overdue longer than the live case, but its clock does not run
    await overdueCopies(live.id, 400, before, { status: 'fixed' });
    await overdueCopies(live.id, 200, before, { status: 'closed' });
    await overdueCopies(live.id, 100, before, { status: 'in_review', first_response_at: new Date() });
    await overdueCopies(live.id, 100, before, { status: 'awaiting_customer', sla_paused_at: new Date() });

    const timers = env.sigdesk.app.get(SlaTimers);
    const swept = await timers.sweep(new Date(dueAt!.getTime() + 1_000));
    expect(swept).toEqual({ warnings: 1, breaches: 1 });
    const row = await env.db.selectFrom('cases').selectAll().where('id', '=', live.id).executeTakeFirstOrThrow();
    expect(row.sla_warned_at).not.toBeNull();
    expect(row.sla_breached_at).not.toBeNull();
  });

  it('records every overdue running clock, however many, oldest due first', async () => {
    const template = await submit(customer, { severity: '4' });
    const now = new Date();
    const ids = await overdueCopies(template.id, 600, now, { status: 'queued' });

    const swept = await env.sigdesk.app.get(SlaTimers).sweep(now);
    expect(swept.breaches).toBeGreaterThanOrEqual(600);
    const missed = await env.db
      .selectFrom('cases')
      .select('id')
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('sla_breached_at', 'is', null), eb('sla_warned_at', 'is', null)]))
      .execute();
    expect(missed).toEqual([]);
    const breaches = await env.db
      .selectFrom('case_events as e')
      .innerJoin('cases as c', 'c.id', 'e.case_id')
      .select('c.response_due_at')
      .where('e.type', '=', 'sla_breached')
      .where('c.id', 'in', ids)
      .orderBy('e.id')
      .execute();
    const dueTimes = breaches.map((b) => b.response_due_at!.getTime());
    expect(dueTimes).toEqual([...dueTimes].sort((a, b) => a - b));
  });

  it('finds the due clocks through a partial index, with many closed cases around', async () => {
    const template = await submit(customer, { severity: '4' });
    const now = new Date();
    await overdueCopies(template.id, 20_000, now, { status: 'closed' });
    await overdueCopies(template.id, 20, now, { status: 'queued' });
    await sql`ANALYZE cases`.execute(env.db);

    // the statements the sweep sends, explained as they were sent
    const executor = env.sigdesk.app.get<Kysely<DB>>(Kysely).getExecutor();
    const executeQuery = jest.spyOn(executor, 'executeQuery');
    let sent: CompiledQuery[];
    try {
      await env.sigdesk.app.get(SlaTimers).sweep(now);
      sent = executeQuery.mock.calls.map(([query]) => query);
    } finally {
      executeQuery.mockRestore();
    }
    const selects = sent.filter((query) => /^\s*select/i.test(query.sql) && /from "?cases"?/i.test(query.sql));
    expect(selects.length).toBeGreaterThanOrEqual(2);
    for (const query of selects) {
      const { rows } = await env.db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`EXPLAIN ${query.sql}`, [...query.parameters]),
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index (Only )?Scan using cases_sla_(warning|breach)_due_idx/);
    }
  });
});
