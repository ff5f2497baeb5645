import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';
import { MultipartBody, rawRequest, RawAnswer, SpoolWatch } from './support/raw-http';

/**
 * Every check an upload can pass or fail before its body is read is made before the body: a refused upload is
 * answered while the client still holds back the rest of its file, and nothing of it reaches the spool folder,
 * S3 or PostgreSQL.
 */
describe('uploads: checks before the body', () => {
  let env: TestEnvironment;
  let spoolRoot: string;
  let spool: SpoolWatch;
  let acme: SeededCustomer;
  let globex: SeededCustomer;
  let analyst: ApiClient;
  /** A case of Acme's that waits for Acme's answer, and one that does not. */
  let awaiting: string;
  let queued: string;

  beforeAll(async () => {
    // requests spool under a folder of this file's own, so that it can be watched
    spoolRoot = await mkdtemp(join(tmpdir(), 'sigdesk-security-spool-'));
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_SPOOL_DIR: spoolRoot } });
    spool = new SpoolWatch(spoolRoot);
    await seedRelease(env, 99, new Date(Date.now() - 48 * 3_600_000));
    // older than the grace period: version 99 is no longer current
    await seedRelease(env, 100, new Date(Date.now() - 4 * 3_600_000));
    acme = await seedCustomer(env, { name: 'Acme', tier: 'msa_start' });
    globex = await seedCustomer(env, { name: 'Globex', tier: 'msa_start' });
    analyst = await seedKey(env, 'analyst');

    const first = await acme.client.upload('/v1/submissions', submissionForm());
    expect(first.status).toBe(201);
    expect((await analyst.post('/v1/review-queue/claim')).body.id).toBe(first.body.id);
    const asked = await analyst.post(`/v1/cases/${first.body.id}/responses`, {
      message: 'Please send the dropper as well.',
      awaitCustomer: true,
    });
    expect(asked.body.status).toBe('awaiting_customer');
    awaiting = first.body.id;
    const second = await acme.client.upload('/v1/submissions', submissionForm());
    expect(second.body.status).toBe('queued');
    queued = second.body.id;
  });

  afterAll(async () => {
    spool?.close();
    await env?.close();
    await rm(spoolRoot, { recursive: true, force: true });
  });

  /** Everything a refused upload might have left: rows, objects, upload records. */
  async function stored() {
    const count = async (table: 'cases' | 'samples' | 'case_samples' | 'case_events' | 'sample_object_uploads') =>
      Number(
        (
          await env.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const objects: string[] = [];
    for await (const object of env.store.list('')) objects.push(object.key);
    const contracts = await env.db.selectFrom('contracts').select(['id', 'premium_used']).orderBy('id').execute();
    return {
      cases: await count('cases'),
      samples: await count('samples'),
      caseSamples: await count('case_samples'),
      events: await count('case_events'),
      uploads: await count('sample_object_uploads'),
      objects: objects.sort(),
      contracts,
    };
  }

  /**
   * Sends a multipart upload whose last file part is held open after its first 64 KiB (the other 4 MiB follow
   * only if the server waits for them), and expects it refused at once, with nothing stored or spooled.
   */
  async function expectRefusedBeforeBody(
    key: string,
    path: string,
    fields: Record<string, string | undefined>,
    expected: { status: number; error: string },
    fileField = 'sample',
  ): Promise<RawAnswer> {
    const before = await stored();
    spool.reset();
    const multipart = new MultipartBody().fields(fields).file(fileField, 'dropper.exe', randomBytes(64 * 1024), true);
    const rest = multipart.closing(randomBytes(4 * 1024 * 1024));
    const answer = await rawRequest(env.url, {
      path,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': multipart.contentType(),
        'content-length': multipart.bytes.length + rest.length,
      },
      body: multipart.bytes,
      held: rest,
    });
    expect({ status: answer.status, error: answer.body.error }).toEqual(expected);
    expect(typeof answer.body.message).toBe('string');
    expect(answer.answeredWhileHeld).toBe(true);
    expect(answer.headers.connection).toBe('close');
    expect(await spool.made()).toEqual([]);
    expect(await stored()).toEqual(before);
    return answer;
  }

  const submissionFields = (overrides: Record<string, string | undefined> = {}) => ({
    kind: 'false_negative',
    severity: '1',
    product: 'Endpoint Security',
    productVersion: '12.4',
    databaseVersion: '100',
    description: 'missed dropper',
    ...overrides,
  });

  describe('POST /v1/submissions/:id/replies', () => {
    it("refuses a reply to another organisation's case with 404 before reading its samples", async () => {
      const answer = await expectRefusedBeforeBody(
        globex.key,
        `/v1/submissions/${awaiting}/replies`,
        { message: 'here is the dropper' },
        { status: 404, error: 'not_found' },
      );
      expect(answer.body.message).not.toContain('Acme');
    });

    it('refuses a reply to a case that does not exist with 404 before reading its samples', async () => {
      await expectRefusedBeforeBody(
        acme.key,
        '/v1/submissions/00000000-0000-4000-8000-000000000000/replies',
        { message: 'here is the dropper' },
        { status: 404, error: 'not_found' },
      );
    });

    it('refuses a reply to a case that waits for no answer with 409 before reading its samples', async () => {
      await expectRefusedBeforeBody(
        acme.key,
        `/v1/submissions/${queued}/replies`,
        { message: 'here is the dropper' },
        { status: 409, error: 'not_awaiting_customer' },
      );
    });

    it('still takes a reply with samples to a case that waits for it', async () => {
      spool.reset();
      const form = new FormData();
      form.append('message', 'here is the dropper');
      form.append('sample', new Blob([randomBytes(2048)]), 'dropper.exe');
      const res = await acme.client.upload(`/v1/submissions/${awaiting}/replies`, form);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ caseId: awaiting, samplesAdded: 1 });
      // the request's own folder, removed when it ended
      expect(await spool.made()).toHaveLength(1);
    });
  });

  describe('POST /v1/submissions', () => {
    it('refuses a premium submission once the premium incidents are spent, before reading its samples', async () => {
      await env.db
        .updateTable('contracts')
        .set((eb) => ({ premium_used: eb.ref('premium_total') }))
        .where('id', '=', globex.contractId)
        .execute();
      try {
        await expectRefusedBeforeBody(globex.key, '/v1/submissions', submissionFields({ premium: 'true' }), {
          status: 422,
          error: 'premium_incidents_exhausted',
        });
      } finally {
        await env.db.updateTable('contracts').set({ premium_used: 0 }).where('id', '=', globex.contractId).execute();
      }
    });

    it('refuses premium from a standard contract before reading its samples', async () => {
      const standard = await seedCustomer(env, { name: 'Initech', tier: 'standard' });
      await expectRefusedBeforeBody(standard.key, '/v1/submissions', submissionFields({ premium: 'true' }), {
        status: 422,
        error: 'premium_not_in_contract',
      });
    });

    it('refuses a submission on outdated databases before reading its samples', async () => {
      const answer = await expectRefusedBeforeBody(
        acme.key,
        '/v1/submissions',
        submissionFields({ databaseVersion: '99' }),
        {
          status: 422,
          error: 'outdated_databases',
        },
      );
      expect(answer.body.currentVersion).toBe(100);
    });

    it('refuses fields that are wrong before reading the samples', async () => {
      const answer = await expectRefusedBeforeBody(acme.key, '/v1/submissions', submissionFields({ severity: '9' }), {
        status: 400,
        error: 'invalid_input',
      });
      expect(answer.body.fields).toEqual([expect.objectContaining({ field: 'severity' })]);
    });

    it('refuses an organisation without a contract in force before reading anything', async () => {
      const admin = new ApiClient(env.url, env.adminKey);
      const org = await admin.post('/v1/admin/organizations', {
        name: 'Lapsed Ltd',
        timezone: 'Europe/Madrid',
        country: 'ES',
      });
      const key = await admin.post('/v1/admin/api-keys', {
        role: 'customer',
        organizationId: org.body.id,
        name: 'portal',
      });
      await expectRefusedBeforeBody(key.body.key, '/v1/submissions', submissionFields(), {
        status: 422,
        error: 'no_active_contract',
      });
    });

    it('refuses a submission whose Idempotency-Key is malformed before reading anything', async () => {
      const before = await stored();
      spool.reset();
      const multipart = new MultipartBody()
        .fields(submissionFields())
        .file('sample', 'dropper.exe', randomBytes(1024), true);
      const rest = multipart.closing(randomBytes(1024 * 1024));
      const answer = await rawRequest(env.url, {
        path: '/v1/submissions',
        headers: {
          authorization: `Bearer ${acme.key}`,
          'idempotency-key': 'x'.repeat(1000),
          'content-type': multipart.contentType(),
          'content-length': multipart.bytes.length + rest.length,
        },
        body: multipart.bytes,
        held: rest,
      });
      expect(answer.status).toBe(400);
      expect(answer.answeredWhileHeld).toBe(true);
      expect(await spool.made()).toEqual([]);
      expect(await stored()).toEqual(before);
    });

    it('still answers a retry with the first answer though its premium incident was the last one', async () => {
      const customer = await seedCustomer(env, { name: 'Umbrella', tier: 'msa_start' });
      await env.db.updateTable('contracts').set({ premium_used: 5 }).where('id', '=', customer.contractId).execute();
      const form = () => submissionForm({ premium: 'true', databaseVersion: '100' });
      const headers = { 'Idempotency-Key': 'retry-after-the-last-premium-incident' };
      const first = await customer.client.upload('/v1/submissions', form(), headers);
      expect(first.status).toBe(201);
      const retry = await customer.client.upload('/v1/submissions', form(), headers);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
    });
  });

  describe('admin corpus uploads', () => {
    it('refuses a customer key on the clean corpus before reading the file', async () => {
      await expectRefusedBeforeBody(
        acme.key,
        '/v1/admin/clean-corpus',
        {},
        { status: 403, error: 'forbidden' },
        'file',
      );
    });

    it('refuses a customer key on the regression corpus before reading the file', async () => {
      await expectRefusedBeforeBody(
        acme.key,
        '/v1/admin/regression-corpus',
        {},
        { status: 403, error: 'forbidden' },
        'file',
      );
    });
  });
});
