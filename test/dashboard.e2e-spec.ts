import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';
import { submitCase } from './support/cases';

/** The figures of the staff's dashboard, read from PostgreSQL and counted by day in the viewer's time zone. */
describe('GET /v1/dashboard', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let analyst: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start', name: 'MSA Co' });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    analyst = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  function submit(customer: SeededCustomer, fields: Record<string, string>) {
    return submitCase(customer, { databaseVersion: '1', ...fields }, [{ name: 's.bin', content: randomBytes(100) }]);
  }

  it('counts the queue by tier, premium and severity, the clocks met and breached, fix times and builds by day', async () => {
    const urgent = await submit(msa, { severity: '1', premium: 'true' });
    const msaLow = await submit(msa, { severity: '3' });
    const standardLow = await submit(standard, { severity: '3' });
    const breachedOne = await submit(standard, { severity: '4' });
    const answered = await submit(msa, { severity: '2' });
    const fixed = await submit(msa, { severity: '2' });

    const now = Date.now();
    const hoursAgo = (h: number) => new Date(now - h * 3_600_000);
    // one case in review whose clock was breached, one answered (its clock met), one fixed by a build
    await env.db
      .updateTable('cases')
      .set({ status: 'in_review', sla_breached_at: hoursAgo(0.5) })
      .where('id', '=', breachedOne.id)
      .execute();
    await env.db
      .updateTable('cases')
      .set({ status: 'awaiting_customer', first_response_at: hoursAgo(0.25) })
      .where('id', '=', answered.id)
      .execute();
    await sql`UPDATE cases SET status = 'fix_scheduled', first_response_at = ${hoursAgo(1)}, created_at = ${hoursAgo(3)}
      WHERE id = ${fixed.id}`.execute(env.db);
    const { id: authorKey } = await env.db
      .selectFrom('api_keys')
      .select('id')
      .where('role', '=', 'analyst')
      .executeTakeFirstOrThrow();
    await env.db
      .insertInto('database_builds')
      .values([
        {
          channel: 'default',
          version: 2,
          parent_version: 1,
          kind: 'expedited',
          status: 'stored',
          change_ids: [],
          finished_at: hoursAgo(0.1),
        },
        {
          channel: 'default',
          version: 3,
          parent_version: 1,
          kind: 'expedited',
          status: 'failed',
          change_ids: [],
          finished_at: hoursAgo(0.1),
        },
      ])
      .execute();
    await env.db
      .insertInto('signature_changes')
      .values({
        case_id: fixed.id,
        channel: 'default',
        type: 'add_detection',
        author: authorKey,
        status: 'built',
        report: JSON.stringify({ passed: true }),
        validated_at: hoursAgo(0.5),
        approved_at: hoursAgo(0.1 + 120 / 3600),
        build_version: 2,
      })
      .execute();

    const res = await analyst.get('/v1/dashboard?days=7&timeZone=Europe/Madrid');
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.period).toMatchObject({ days: 7, timeZone: 'Europe/Madrid' });

    // open cases: all but the fixed one, MSA Start first, premium first, then severity
    expect(body.queue.total).toBe(5);
    expect(body.queue.breached).toBe(1);
    expect(body.queue.groups).toEqual([
      {
        tier: 'msa_start',
        premium: true,
        severity: 1,
        total: 1,
        queued: 1,
        inReview: 0,
        awaitingCustomer: 0,
        breached: 0,
      },
      {
        tier: 'msa_start',
        premium: false,
        severity: 2,
        total: 1,
        queued: 0,
        inReview: 0,
        awaitingCustomer: 1,
        breached: 0,
      },
      {
        tier: 'msa_start',
        premium: false,
        severity: 3,
        total: 1,
        queued: 1,
        inReview: 0,
        awaitingCustomer: 0,
        breached: 0,
      },
      {
        tier: 'standard',
        premium: false,
        severity: 3,
        total: 1,
        queued: 1,
        inReview: 0,
        awaitingCustomer: 0,
        breached: 0,
      },
      {
        tier: 'standard',
        premium: false,
        severity: 4,
        total: 1,
        queued: 0,
        inReview: 1,
        awaitingCustomer: 0,
        breached: 1,
      },
    ]);
    expect([urgent, msaLow, standardLow].every((c) => typeof c.id === 'string')).toBe(true);

    // every day of the period is listed; the events of the last hours fall on one or two of them
    expect(body.responseClocks).toHaveLength(7);
    expect(body.activity).toHaveLength(7);
    const sum = (rows: Array<Record<string, number>>, field: string) => rows.reduce((n, r) => n + r[field], 0);
    expect(sum(body.responseClocks, 'met')).toBe(2);
    expect(sum(body.responseClocks, 'breached')).toBe(1);
    expect(sum(body.activity, 'validationsPassed')).toBe(1);
    expect(sum(body.activity, 'buildsStored')).toBe(1);
    expect(sum(body.activity, 'buildsFailed')).toBe(1);
    expect(sum(body.activity, 'buildsPublished')).toBe(0);

    expect(body.fixTimes.byTier).toEqual([
      {
        tier: 'msa_start',
        changes: 1,
        approvalToBuildSeconds: {
          p50: expect.closeTo(120, 0),
          p90: expect.closeTo(120, 0),
          max: expect.closeTo(120, 0),
        },
        reportToBuildSeconds: {
          p50: expect.closeTo(3 * 3600 - 360, 0),
          p90: expect.any(Number),
          max: expect.any(Number),
        },
      },
    ]);
    expect(body.fixTimes.byDay).toEqual([
      expect.objectContaining({ tier: 'msa_start', changes: 1, day: expect.any(String) }),
    ]);
  });

  it("counts days in the viewer's time zone: a breach just after midnight in Madrid is the day before in UTC", async () => {
    const late = await submit(standard, { severity: '4' });
    const { rows } = await sql<{ at: Date }>`
      SELECT date_trunc('day', now() AT TIME ZONE 'Europe/Madrid') AT TIME ZONE 'Europe/Madrid' + interval '1 second' AS at
    `.execute(env.db);
    await env.db.updateTable('cases').set({ sla_breached_at: rows[0].at }).where('id', '=', late.id).execute();

    // what each zone must say, worked out here from every breach there is
    const breaches = await env.db
      .selectFrom('cases')
      .select('sla_breached_at')
      .where('sla_breached_at', 'is not', null)
      .execute();
    for (const timeZone of ['UTC', 'Europe/Madrid', 'America/New_York']) {
      const expected = new Map<string, number>();
      for (const { sla_breached_at } of breaches) {
        const day = new Intl.DateTimeFormat('en-CA', { timeZone }).format(sla_breached_at!);
        expected.set(day, (expected.get(day) ?? 0) + 1);
      }
      const res = await analyst.get(`/v1/dashboard?days=3&timeZone=${encodeURIComponent(timeZone)}`);
      const said = new Map<string, number>(
        res.body.responseClocks
          .filter((c: { breached: number }) => c.breached > 0)
          .map((c: { day: string; breached: number }) => [c.day, c.breached]),
      );
      expect([timeZone, said]).toEqual([timeZone, expected]);
    }
    const madridDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Madrid' }).format(rows[0].at);
    const utcDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC' }).format(rows[0].at);
    expect(utcDay < madridDay).toBe(true);
  });

  it("is for the vendor's staff, with a period and a time zone it can read", async () => {
    expect((await msa.client.get('/v1/dashboard')).status).toBe(403);
    expect((await new ApiClient(env.url).get('/v1/dashboard')).status).toBe(401);
    const release = await seedKey(env, 'release');
    expect((await release.get('/v1/dashboard')).status).toBe(200);
    const defaults = await analyst.get('/v1/dashboard');
    expect(defaults.body.period).toMatchObject({ days: 30, timeZone: 'UTC' });
    expect(defaults.body.activity).toHaveLength(30);
    for (const query of ['days=0', 'days=91', 'days=1e1', 'timeZone=Mars/Phobos', "timeZone=UTC';--", 'extra=1']) {
      const refused = await analyst.get(`/v1/dashboard?${query}`);
      expect([query, refused.status]).toEqual([query, 400]);
    }
  });
});
