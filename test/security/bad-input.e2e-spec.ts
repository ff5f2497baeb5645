import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApiClient,
  ApiResponse,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';
import { privateTmpdir, rowCounts, sampleStored, spoolFolders } from './support/stored-state';

const NUL = '\u0000';
/** Half of a surrogate pair: JSON can carry it (`"\ud800"`), UTF-8 cannot, so PostgreSQL would get it mangled. */
const LONE_SURROGATE = '\ud800';
const ANSI_CLEAR_SCREEN = '\u001b[2J';
/** C1 control: the single-character CSI, which some terminals honour like ESC [ */
const C1_CSI = '\u009b';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const DASHES_AS_UUID = '-'.repeat(36);

/** The global filter's shape of a validation error. */
function expectValidationError(res: ApiResponse, code = 'invalid_input') {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status: 400, error: code });
  expect(typeof res.body.message).toBe('string');
  expect(res.body).not.toHaveProperty('correlationId');
}

describe('hostile input answers 400 and stores nothing', () => {
  let env: TestEnvironment;
  let tmp: Awaited<ReturnType<typeof privateTmpdir>>;
  let customer: SeededCustomer;
  let analyst: ApiClient;
  let admin: ApiClient;
  let analystKeyId: string;

  beforeAll(async () => {
    tmp = await privateTmpdir();
    // webhooks to loopback: what is tested is the cursor, not where they go
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { tier: 'msa_start', name: 'Hostile Input SA' });
    analyst = await seedKey(env, 'analyst');
    admin = new ApiClient(env.url, env.adminKey);
    analystKeyId = (
      await env.db
        .selectFrom('api_keys')
        .select('id')
        .where('role', '=', 'analyst')
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await env?.close();
    await tmp?.restore();
  });

  /** A case of `customer`, put in `status` (claimed by the analyst when in review) directly in the database. */
  async function caseIn(status: 'queued' | 'in_review' | 'awaiting_customer' | 'confirmed') {
    // a false positive, so that a confirmed one takes an allow-list entry for its sample
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ kind: 'false_positive', detectionName: 'HEUR:Trojan.Generic' }, [
        { name: 'case.bin', content: randomBytes(300) },
      ]),
    );
    expect(res.status).toBe(201);
    await env.db
      .updateTable('cases')
      .set({ status, assigned_to: status === 'queued' ? null : analystKeyId })
      .where('id', '=', res.body.id)
      .execute();
    return res.body.id as string;
  }

  async function caseState(id: string) {
    const [row, events] = await Promise.all([
      env.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      env.db.selectFrom('case_events').selectAll().where('case_id', '=', id).execute(),
    ]);
    return { row, events };
  }

  describe('POST /v1/submissions', () => {
    const attacks: Array<[string, Record<string, string>]> = [
      ['a NUL byte in the description', { description: `missed dropper${NUL}` }],
      ['a NUL byte in the product', { product: `Endpoint${NUL}Security` }],
      ['a NUL byte in the product version', { productVersion: `12.4${NUL}` }],
      ['a NUL byte in the detection name', { kind: 'false_positive', detectionName: `HEUR:Trojan${NUL}.Generic` }],
      ['a terminal escape sequence in the product', { product: `Endpoint${ANSI_CLEAR_SCREEN}` }],
      ['a C1 control character in the description', { description: `text ${C1_CSI}31m red` }],
      ['a database version beyond a 32-bit integer', { databaseVersion: '9999999999' }],
      ['a database version one past the largest 32-bit integer', { databaseVersion: '2147483648' }],
    ];

    it.each(attacks)('refuses %s before storing the sample', async (_, fields) => {
      const content = randomBytes(700);
      const before = await rowCounts(env.db);
      const res = await customer.client.upload(
        '/v1/submissions',
        submissionForm(fields, [{ name: 'sample.bin', content }]),
      );
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
      expect(await sampleStored(env, content)).toBe(false);
      expect(await spoolFolders(tmp.dir)).toEqual([]);
    });

    it('refuses bytes that are not UTF-8 in the description before storing the sample', async () => {
      const content = randomBytes(700);
      const before = await rowCounts(env.db);
      const boundary = `----sigdesk-${randomBytes(8).toString('hex')}`;
      const field = (name: string, value: Buffer | string) =>
        Buffer.concat([
          Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n`),
          Buffer.from(value),
          Buffer.from('\r\n'),
        ]);
      const body = Buffer.concat([
        field('kind', 'false_negative'),
        field('severity', '2'),
        field('product', 'Endpoint Security'),
        field('productVersion', '12.4'),
        field('databaseVersion', '100'),
        field('description', Buffer.from([0x6d, 0x69, 0x73, 0x73, 0x65, 0x64, 0x20, 0xff, 0xfe, 0xc3])),
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="sample"; filename="s.bin"\r\n` +
            'content-type: application/octet-stream\r\n\r\n',
        ),
        content,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const raw = await fetch(`${env.url}/v1/submissions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${customer.key}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      });
      expectValidationError({ status: raw.status, body: await raw.json(), headers: raw.headers });
      expect(await rowCounts(env.db)).toEqual(before);
      expect(await sampleStored(env, content)).toBe(false);
      expect(await spoolFolders(tmp.dir)).toEqual([]);
    });

    it('refuses a NUL byte in the description with an Idempotency-Key, and remembers nothing', async () => {
      const content = randomBytes(700);
      const key = randomUUID();
      const before = await rowCounts(env.db);
      const res = await customer.client.upload(
        '/v1/submissions',
        submissionForm({ description: `a${NUL}b` }, [{ name: 'sample.bin', content }]),
        { 'idempotency-key': key },
      );
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
      expect(await sampleStored(env, content)).toBe(false);
      // the key is free for the corrected submission
      const retried = await customer.client.upload(
        '/v1/submissions',
        submissionForm({}, [{ name: 'sample.bin', content }]),
        { 'idempotency-key': key },
      );
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
    });
  });

  describe('POST /v1/submissions/:id/replies', () => {
    it('refuses a NUL byte in a JSON reply and leaves the case waiting', async () => {
      const id = await caseIn('awaiting_customer');
      const before = await caseState(id);
      const res = await customer.client.post(`/v1/submissions/${id}/replies`, { message: `here${NUL}` });
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
    });

    it('refuses a lone surrogate in a JSON reply', async () => {
      const id = await caseIn('awaiting_customer');
      const before = await caseState(id);
      // JSON.stringify writes it as the escape `\ud800`, which JSON.parse on the server turns back into half a pair
      const res = await customer.client.post(`/v1/submissions/${id}/replies`, { message: `here ${LONE_SURROGATE}` });
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
    });

    it('refuses a NUL byte in a multipart reply before storing its sample', async () => {
      const id = await caseIn('awaiting_customer');
      const before = await caseState(id);
      const counts = await rowCounts(env.db);
      const content = randomBytes(900);
      const form = new FormData();
      form.append('message', `the dropper${NUL}`);
      form.append('sample', new Blob([content]), 'dropper.exe');
      const res = await customer.client.upload(`/v1/submissions/${id}/replies`, form);
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
      expect(await rowCounts(env.db)).toEqual(counts);
      expect(await sampleStored(env, content)).toBe(false);
      expect(await spoolFolders(tmp.dir)).toEqual([]);
    });
  });

  describe('analysts', () => {
    it('refuses a NUL byte in a response and leaves the case as it was', async () => {
      const id = await caseIn('in_review');
      const before = await caseState(id);
      const res = await analyst.post(`/v1/cases/${id}/responses`, { message: `reproduced${NUL}` });
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
    });

    it('refuses a NUL byte in a verdict note and gives no verdict', async () => {
      const id = await caseIn('in_review');
      const before = await caseState(id);
      const res = await analyst.post(`/v1/cases/${id}/verdict`, { verdict: 'confirmed', note: `ok${NUL}` });
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
    });

    it('refuses a lone surrogate in a verdict note and gives no verdict', async () => {
      const id = await caseIn('in_review');
      const before = await caseState(id);
      const res = await analyst.post(`/v1/cases/${id}/verdict`, { verdict: 'confirmed', note: `ok ${LONE_SURROGATE}` });
      expectValidationError(res);
      expect(await caseState(id)).toEqual(before);
    });

    it('refuses a NUL byte in the reason of a signature change and proposes nothing', async () => {
      const id = await caseIn('confirmed');
      const before = await rowCounts(env.db);
      const res = await analyst.post(`/v1/cases/${id}/signature-changes`, {
        type: 'suppress_detection',
        sha256: (await env.db.selectFrom('case_samples').select('sha256').where('case_id', '=', id).executeTakeFirst())!
          .sha256,
        reason: `clean tool${NUL}`,
      });
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
    });

    it('refuses a NUL byte in the note rejecting a signature change, which stays as it was', async () => {
      const id = await caseIn('confirmed');
      const sample = await env.db
        .selectFrom('case_samples')
        .select('sha256')
        .where('case_id', '=', id)
        .executeTakeFirst();
      const proposed = await analyst.post(`/v1/cases/${id}/signature-changes`, {
        type: 'suppress_detection',
        sha256: sample!.sha256,
        reason: 'a clean tool',
      });
      expect(proposed.status).toBe(202);
      const before = await env.db
        .selectFrom('signature_changes')
        .selectAll()
        .where('id', '=', proposed.body.id)
        .execute();
      const res = await analyst.post(`/v1/signature-changes/${proposed.body.id}/reject`, { note: `no${NUL}` });
      expectValidationError(res);
      expect(
        await env.db.selectFrom('signature_changes').selectAll().where('id', '=', proposed.body.id).execute(),
      ).toEqual(before);
    });
  });

  describe('administration', () => {
    it('refuses a NUL byte in an organisation name and creates none', async () => {
      const before = await rowCounts(env.db);
      const res = await admin.post('/v1/admin/organizations', {
        name: `Evil${NUL}Corp`,
        timezone: 'Europe/Madrid',
        country: 'ES',
      });
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
    });

    it('refuses a lone surrogate in an organisation name and creates none', async () => {
      const before = await rowCounts(env.db);
      const res = await admin.post('/v1/admin/organizations', {
        name: `Evil ${LONE_SURROGATE} Corp`,
        timezone: 'Europe/Madrid',
        country: 'ES',
      });
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
    });

    it('refuses bytes that are not UTF-8 in an organisation name and creates none', async () => {
      const before = await rowCounts(env.db);
      const raw = await fetch(`${env.url}/v1/admin/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
        body: Buffer.concat([
          Buffer.from('{"name":"Bad '),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from('","timezone":"Europe/Madrid","country":"ES"}'),
        ]),
      });
      expectValidationError({ status: raw.status, body: await raw.json(), headers: raw.headers });
      expect(await rowCounts(env.db)).toEqual(before);
    });

    it('refuses a NUL byte in an API key name and makes no key', async () => {
      const before = await rowCounts(env.db);
      const res = await admin.post('/v1/admin/api-keys', { role: 'analyst', name: `night${NUL}shift` });
      expectValidationError(res);
      expect(await rowCounts(env.db)).toEqual(before);
    });
  });

  describe('forged cursors and ids', () => {
    const someUuid = '2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e11';

    it('refuses a case list cursor whose id is 36 dashes', async () => {
      const res = await customer.client.get(
        `/v1/submissions?cursor=${cursorOf(['2026-11-30T10:00:00.000Z', DASHES_AS_UUID])}`,
      );
      expectValidationError(res, 'invalid_cursor');
    });

    it('refuses a case list cursor whose time PostgreSQL cannot hold', async () => {
      const res = await customer.client.get(
        `/v1/submissions?cursor=${cursorOf(['-271821-04-20T00:00:00.000Z', someUuid])}`,
      );
      expectValidationError(res, 'invalid_cursor');
    });

    const queueKey = {
      standard: false,
      notPremium: true,
      severity: 2,
      responseDueAt: '2026-12-01T10:00:00.000Z',
      createdAt: '2026-11-30T10:00:00.000Z',
      id: someUuid,
    };
    it.each<[string, Record<string, unknown>]>([
      ['a severity of 1e308', { severity: 1e308 }],
      ['a severity out of the four levels', { severity: 40_000 }],
      ['an id of 36 dashes', { id: DASHES_AS_UUID }],
      ['a due time PostgreSQL cannot hold', { responseDueAt: '+275760-09-13T00:00:00.000Z' }],
    ])('refuses a review queue cursor with %s', async (_, forged) => {
      const res = await analyst.get(`/v1/review-queue?cursor=${cursorOf({ ...queueKey, ...forged })}`);
      expectValidationError(res, 'invalid_cursor');
    });

    it('refuses a build list cursor beyond a 32-bit version', async () => {
      const release = await seedKey(env, 'release');
      const res = await release.get('/v1/database-builds?cursor=9999999999');
      expectValidationError(res, 'invalid_cursor');
    });

    it('refuses a webhook deliveries cursor whose id is 36 dashes', async () => {
      const webhook = await customer.client.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook' });
      expect(webhook.status).toBe(201);
      const res = await customer.client.get(
        `/v1/webhooks/${webhook.body.id}/deliveries?cursor=${cursorOf(['2026-11-30T10:00:00.000Z', DASHES_AS_UUID])}`,
      );
      expectValidationError(res, 'invalid_cursor');
    });
  });
});
