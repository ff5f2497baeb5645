import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { SampleDigests } from '@sigdesk/intake';
import { QueueReconciler } from '@sigdesk/worker';
import {
  ApiClient,
  claimDirectly,
  EICAR,
  eventually,
  protectedZip,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

describe('POST /v1/submissions', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;

  beforeAll(async () => {
    env = await startTestEnvironment({
      env: {
        SIGDESK_MAX_SAMPLE_BYTES: String(2 * 1024 * 1024),
        SIGDESK_ARCHIVE_MAX_UNPACKED_BYTES: String(8 * 1024 * 1024),
      },
    });
    await seedRelease(env, 99, new Date(Date.now() - 48 * 3_600_000));
    // older than the grace period: version 99 is no longer current
    await seedRelease(env, 100, new Date(Date.now() - 4 * 3_600_000));
    msa = await seedCustomer(env, { tier: 'msa_start' });
  });
  afterAll(async () => {
    await env?.close();
  });

  /** What a refused request must not leave behind. */
  async function storedState() {
    const [cases, samples, premium, objects] = await Promise.all([
      env.db
        .selectFrom('cases')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
      env.db
        .selectFrom('samples')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
      env.db.selectFrom('contracts').select('premium_used').where('id', '=', msa.contractId).executeTakeFirstOrThrow(),
      (async () => {
        let n = 0;
        for await (const object of env.store.list('samples/')) if (object.key) n++;
        return n;
      })(),
    ]);
    return { cases: Number(cases.n), samples: Number(samples.n), premiumUsed: premium.premium_used, objects };
  }

  async function expectRefused(
    send: () => Promise<{ status: number; body: any }>,
    status: number,
    error: string,
  ): Promise<any> {
    const before = await storedState();
    const res = await send();
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(typeof res.body.message).toBe('string');
    expect(await storedState()).toEqual(before);
    return res.body;
  }

  it('creates a queued case with hashed, typed samples and a timeline', async () => {
    const res = await msa.client.upload('/v1/submissions', submissionForm({ severity: '1', premium: 'true' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'queued',
      kind: 'false_negative',
      severity: 1,
      premium: true,
      priority: { tier: 'msa_start', premium: true, severity: 1 },
      database: { channel: 'default', version: 100 },
    });
    expect(res.body.reference).toMatch(/^SD-\d{4}-\d{6}$/);
    expect(Date.parse(res.body.responseDueAt)).toBeGreaterThan(Date.now());
    expect(res.body.samples).toEqual([
      expect.objectContaining({ sha256: sha256(EICAR), size: EICAR.length, type: 'text', fileName: 'eicar.com' }),
    ]);
    expect(res.body.timeline.map((e: any) => e.toStatus)).toEqual(['received', 'queued']);

    const object = await env.store.head(`samples/${sha256(EICAR).slice(0, 2)}/${sha256(EICAR)}`);
    expect(object?.size).toBe(EICAR.length);
    const contract = await env.db
      .selectFrom('contracts')
      .selectAll()
      .where('id', '=', msa.contractId)
      .executeTakeFirst();
    expect(contract?.premium_used).toBe(1);
  });

  it('hands the case to the intake job, which verifies the stored samples', async () => {
    const res = await msa.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'a.bin', content: randomBytes(4096) }]),
    );
    expect(res.status).toBe(201);
    let detail: any;
    for (let i = 0; i < 100; i++) {
      detail = (await msa.client.get(`/v1/submissions/${res.body.id}`)).body;
      if (detail.timeline.some((e: any) => e.type === 'intake_completed')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(detail.timeline.map((e: any) => e.type)).toEqual(['status_changed', 'status_changed', 'intake_completed']);
  });

  it('answers with the SHA-256 only; the intake job records SHA-1 and MD5 before intake_completed, for analysts only', async () => {
    const plain = randomBytes(3000);
    const inside = [randomBytes(1500), randomBytes(2500)];
    const zip = await protectedZip([
      { name: 'one.exe', content: inside[0] },
      { name: 'dir/two.dll', content: inside[1] },
    ]);
    const res = await msa.client.upload(
      '/v1/submissions',
      submissionForm({}, [
        { name: 'plain.bin', content: plain },
        { name: 'samples.zip', content: zip },
      ]),
    );
    expect(res.status).toBe(201);
    const sent = [plain, ...inside];
    expect(res.body.samples).toEqual(
      sent.map((content) => expect.objectContaining({ sha256: sha256(content), size: content.length })),
    );
    const stored = () =>
      env.db
        .selectFrom('samples')
        .select(['sha256', 'sha1', 'md5'])
        .where(
          'sha256',
          'in',
          sent.map((content) => sha256(content)),
        )
        .execute();
    expect((await stored()).map((row) => [row.sha1, row.md5])).toEqual(sent.map(() => [null, null]));

    const detail = await eventually(
      () => msa.client.get(`/v1/submissions/${res.body.id}`),
      (r) => r.body.timeline.some((e: any) => e.type === 'intake_completed'),
    );
    expect(detail.body.timeline.map((e: any) => e.type)).toContain('intake_completed');
    // the customer sees neither, before or after: whether another organisation sent the file first would show
    for (const sample of [...res.body.samples, ...detail.body.samples]) {
      expect(Object.keys(sample)).not.toEqual(expect.arrayContaining(['sha1']));
      expect(Object.keys(sample)).not.toEqual(expect.arrayContaining(['md5']));
    }
    const bySha = new Map((await stored()).map((row) => [row.sha256, { sha1: row.sha1, md5: row.md5 }]));
    expect(sent.map((content) => ({ sha256: sha256(content), ...bySha.get(sha256(content)) }))).toEqual(
      sent.map((content) => ({ sha256: sha256(content), sha1: digest('sha1', content), md5: digest('md5', content) })),
    );
    // recorded once: asked again (a job run twice, another case with the same sample), nothing is read or written
    expect(await env.sigdesk.app.get(SampleDigests).complete(sent.map((content) => sha256(content)))).toBe(0);
  });

  it("records the SHA-1 and MD5 of a reply's samples, which come after the case's intake", async () => {
    const analyst = await seedKey(env, 'analyst');
    const created = await msa.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'a.bin', content: randomBytes(900) }]),
    );
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await eventually(
      () => analyst.get(`/v1/cases/${id}`),
      (r) => r.body.timeline.some((e: any) => e.type === 'intake_completed'),
    );
    // claimed directly: the queue holds this file's other cases
    await claimDirectly(env, analyst, id);
    const asked = await analyst.post(`/v1/cases/${id}/responses`, {
      message: 'Send the dropper.',
      awaitCustomer: true,
    });
    expect(asked.status).toBe(200);

    const dropper = randomBytes(1200);
    const inZip = randomBytes(800);
    const form = new FormData();
    form.append('message', 'Here it is.');
    form.append('sample', new Blob([dropper]), 'dropper.exe');
    form.append('sample', new Blob([await protectedZip([{ name: 'payload.bin', content: inZip }])]), 'more.zip');
    const replied = await msa.client.upload(`/v1/submissions/${id}/replies`, form);
    expect(replied.status).toBe(201);
    expect(replied.body.samplesAdded).toBe(2);

    const expected = [dropper, inZip].map((content) => ({
      sha256: sha256(content),
      sha1: digest('sha1', content),
      md5: digest('md5', content),
    }));
    const view = await eventually(
      () => analyst.get(`/v1/cases/${id}`),
      (r) => r.body.samples.slice(1).every((s: any) => s.md5 !== null),
    );
    expect(view.body.samples.slice(1).map((s: any) => ({ sha256: s.sha256, sha1: s.sha1, md5: s.md5 }))).toEqual(
      expected,
    );
  });

  it('gives a sample whose digests are missing after its intake its job back', async () => {
    const content = randomBytes(1100);
    const created = await msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'lost.bin', content }]));
    expect(created.status).toBe(201);
    await eventually(
      () => msa.client.get(`/v1/submissions/${created.body.id}`),
      (r) => r.body.timeline.some((e: any) => e.type === 'intake_completed'),
    );
    // as if the digests had come with a reply whose job the queues lost
    await env.db.updateTable('samples').set({ sha1: null, md5: null }).where('sha256', '=', sha256(content)).execute();

    const reconciled = await env.sigdesk.app.get(QueueReconciler).reconcile();

    expect(reconciled.restored.digests).toBeGreaterThanOrEqual(1);
    const row = await eventually(
      () => env.db.selectFrom('samples').selectAll().where('sha256', '=', sha256(content)).executeTakeFirstOrThrow(),
      (r) => r.md5 !== null,
    );
    expect({ sha1: row.sha1, md5: row.md5 }).toEqual({ sha1: digest('sha1', content), md5: digest('md5', content) });
  });

  it('stores the same file once, whoever sends it', async () => {
    const content = randomBytes(2048);
    const other = await seedCustomer(env, { tier: 'standard', name: 'Other Corp' });
    const first = await msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'x.exe', content }]));
    const second = await other.client.upload('/v1/submissions', submissionForm({}, [{ name: 'y.exe', content }]));
    expect([first.status, second.status]).toEqual([201, 201]);
    let objects = 0;
    for await (const o of env.store.list('samples/')) if (o.key.endsWith(sha256(content))) objects++;
    expect(objects).toBe(1);
    const links = await env.db
      .selectFrom('case_samples')
      .select('case_id')
      .where('sha256', '=', sha256(content))
      .execute();
    expect(links).toHaveLength(2);
  });

  it('detects the type from content, not from the name', async () => {
    const pe = Buffer.concat([Buffer.from('MZ'), randomBytes(1000)]);
    const res = await msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'invoice.pdf', content: pe }]));
    expect(res.body.samples[0]).toMatchObject({ type: 'pe', fileName: 'invoice.pdf' });
  });

  describe('protected ZIPs', () => {
    it.each([
      ['ZipCrypto', true],
      ['AES', false],
    ])('opens a %s ZIP protected with "infected" and takes each file as a sample', async (_, zipCrypto) => {
      const a = randomBytes(3000);
      const b = Buffer.concat([Buffer.from('MZ'), randomBytes(500)]);
      const zip = await protectedZip(
        [
          { name: 'a.bin', content: a },
          { name: 'dir/b.exe', content: b },
        ],
        { zipCrypto },
      );
      const res = await msa.client.upload(
        '/v1/submissions',
        submissionForm({}, [{ name: 'samples.zip', content: zip }]),
      );
      expect(res.status).toBe(201);
      expect(res.body.samples).toEqual([
        expect.objectContaining({ sha256: sha256(a), fileName: 'a.bin', archivePath: 'samples.zip!a.bin' }),
        expect.objectContaining({ sha256: sha256(b), type: 'pe', archivePath: 'samples.zip!dir/b.exe' }),
      ]);
    });

    it('keeps a ZIP without encryption as one sample (documents, jars and apks are ZIPs)', async () => {
      const zip = await protectedZip([{ name: 'word/document.xml', content: '<w:document/>' }], { password: null });
      const res = await msa.client.upload(
        '/v1/submissions',
        submissionForm({}, [{ name: 'report.docx', content: zip }]),
      );
      expect(res.status).toBe(201);
      expect(res.body.samples).toEqual([expect.objectContaining({ sha256: sha256(zip), type: 'zip' })]);
    });

    it('refuses a ZIP with the wrong password', async () => {
      const zip = await protectedZip([{ name: 'a.bin', content: randomBytes(100) }], { password: 'virus' });
      const body = await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 's.zip', content: zip }])),
        422,
        'archive_wrong_password',
      );
      expect(body.message).toContain('infected');
    });

    it('refuses a zip bomb instead of unpacking it', async () => {
      const zip = await protectedZip([{ name: 'zeros.bin', content: Buffer.alloc(20 * 1024 * 1024) }]);
      expect(zip.length).toBeLessThan(2 * 1024 * 1024);
      await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'bomb.zip', content: zip }])),
        422,
        'archive_ratio_exceeded',
      );
    });

    it('refuses entry names that climb out of the archive', async () => {
      const zip = await protectedZip([{ name: '../../etc/cron.d/evil', content: 'x' }]);
      await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'evil.zip', content: zip }])),
        422,
        'archive_unsafe_path',
      );
    });
  });

  describe('refusals store nothing', () => {
    it('refuses a submission on outdated databases, naming the current version', async () => {
      const body = await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({ databaseVersion: '99' })),
        422,
        'outdated_databases',
      );
      expect(body).toMatchObject({ currentVersion: 100 });
      expect(body.message).toContain('100');
    });

    it('refuses an unknown database version', async () => {
      await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({ databaseVersion: '12345' })),
        422,
        'unknown_database_version',
      );
    });

    it('accepts the databases by release time as products show it', async () => {
      const res = await msa.client.upload(
        '/v1/submissions',
        submissionForm({ databaseVersion: undefined, databaseReleasedAt: new Date().toISOString() }),
      );
      expect(res.status).toBe(201);
      expect(res.body.database.version).toBe(100);
    });

    it('refuses a request without a sample', async () => {
      await expectRefused(() => msa.client.upload('/v1/submissions', submissionForm({}, [])), 400, 'sample_required');
    });

    it('refuses an empty sample', async () => {
      await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'empty', content: Buffer.alloc(0) }])),
        400,
        'empty_sample',
      );
    });

    it('refuses a sample over the size limit with 413', async () => {
      await expectRefused(
        () =>
          msa.client.upload(
            '/v1/submissions',
            submissionForm({}, [{ name: 'big.bin', content: randomBytes(2 * 1024 * 1024 + 1) }]),
          ),
        413,
        'sample_too_large',
      );
    });

    it('refuses wrong field values, naming each field', async () => {
      const body = await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({ kind: 'maybe', severity: '7' })),
        400,
        'invalid_input',
      );
      expect(body.fields.map((f: any) => f.field).sort()).toEqual(['kind', 'severity']);
    });

    it('requires the detection name for a false positive', async () => {
      const body = await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({ kind: 'false_positive' })),
        400,
        'invalid_input',
      );
      expect(body.fields[0].field).toBe('detectionName');
    });

    it('refuses premium from a standard contract', async () => {
      const standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Ltd' });
      await expectRefused(
        () => standard.client.upload('/v1/submissions', submissionForm({ premium: 'true' })),
        422,
        'premium_not_in_contract',
      );
    });

    it('refuses a body that is not multipart', async () => {
      await expectRefused(() => msa.client.post('/v1/submissions', { kind: 'false_negative' }), 415, 'not_multipart');
    });

    it('refuses a malformed multipart body with 400', async () => {
      const before = await storedState();
      const boundary = 'x-boundary';
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfalse_negative\r\n--${boundary}\r\nContent-Disposition: form-data; name="sample"; filename="a"\r\nContent-Type: application/octet-stream\r\n\r\nabc`;
      const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const url = new URL('/v1/submissions', env.url);
        const req = httpRequest(
          url,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${msa.key}`,
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': Buffer.byteLength(body),
            },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('malformed_multipart');
      expect(await storedState()).toEqual(before);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first answer to a retry, whatever the multipart boundary', async () => {
      const content = randomBytes(1000);
      const headers = { 'idempotency-key': `retry-${randomBytes(4).toString('hex')}` };
      const first = await msa.client.upload(
        '/v1/submissions',
        submissionForm({}, [{ name: 'r.bin', content }]),
        headers,
      );
      const before = await storedState();
      const second = await msa.client.upload(
        '/v1/submissions',
        submissionForm({}, [{ name: 'r.bin', content }]),
        headers,
      );
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await storedState()).toEqual(before);
    });

    it('refuses the same key with another body with 409', async () => {
      const headers = { 'idempotency-key': `reuse-${randomBytes(4).toString('hex')}` };
      await msa.client.upload('/v1/submissions', submissionForm({ severity: '3' }), headers);
      await expectRefused(
        () => msa.client.upload('/v1/submissions', submissionForm({ severity: '4' }), headers),
        409,
        'idempotency_key_reused',
      );
    });

    it('creates one case when the same request races itself', async () => {
      const headers = { 'idempotency-key': `race-${randomBytes(4).toString('hex')}` };
      const content = randomBytes(500);
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          msa.client.upload('/v1/submissions', submissionForm({}, [{ name: 'race.bin', content }]), headers),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    });
  });

  describe('premium incidents', () => {
    it('never spends more than six, even with concurrent submissions', async () => {
      const fresh = await seedCustomer(env, { tier: 'msa_start', name: 'Race Inc' });
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          fresh.client.upload(
            '/v1/submissions',
            submissionForm({ premium: 'true' }, [{ name: 'p.bin', content: randomBytes(256) }]),
          ),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 422, 422, 422, 422]);
      expect(results.filter((r) => r.status === 422).every((r) => r.body.error === 'premium_incidents_exhausted')).toBe(
        true,
      );
      const contract = await env.db
        .selectFrom('contracts')
        .select('premium_used')
        .where('id', '=', fresh.contractId)
        .executeTakeFirstOrThrow();
      expect(contract.premium_used).toBe(6);
      const standardAfter = await fresh.client.upload('/v1/submissions', submissionForm());
      expect(standardAfter.status).toBe(201);
    });
  });

  describe('who may do what', () => {
    it('refuses a request without a key with 401 and a wrong role with 403', async () => {
      const anonymous = await new ApiClient(env.url).upload('/v1/submissions', submissionForm());
      expect(anonymous.status).toBe(401);
      const analyst = await seedKey(env, 'analyst');
      const wrongRole = await analyst.upload('/v1/submissions', submissionForm());
      expect(wrongRole.status).toBe(403);
      expect(wrongRole.body.error).toBe('forbidden');
    });

    it("hides another organisation's cases", async () => {
      const mine = await msa.client.upload('/v1/submissions', submissionForm());
      const other = await seedCustomer(env, { tier: 'standard', name: 'Nosy Corp' });
      const peek = await other.client.get(`/v1/submissions/${mine.body.id}`);
      expect(peek.status).toBe(404);
      const list = await other.client.get('/v1/submissions?limit=100');
      expect(list.body.items.some((c: any) => c.id === mine.body.id)).toBe(false);
      const analyst = await seedKey(env, 'analyst');
      expect((await analyst.get(`/v1/submissions/${mine.body.id}`)).status).toBe(200);
    });
  });
});

describe('GET /v1/submissions', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 7);
    customer = await seedCustomer(env, { tier: 'standard' });
    for (let i = 0; i < 5; i++) {
      const kind = i % 2 === 0 ? 'false_negative' : 'false_positive';
      const res = await customer.client.upload(
        '/v1/submissions',
        submissionForm(
          {
            kind,
            databaseVersion: '7',
            detectionName: kind === 'false_positive' ? 'HEUR:Trojan.Win32.Generic' : undefined,
          },
          [{ name: `s${i}`, content: randomBytes(100) }],
        ),
      );
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await env?.close();
  });

  it('pages newest first with an opaque cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await customer.client.get(`/v1/submissions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((c: any) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('filters by kind and status', async () => {
    const fp = await customer.client.get('/v1/submissions?kind=false_positive');
    expect(fp.body.items).toHaveLength(2);
    expect((await customer.client.get('/v1/submissions?status=fixed')).body.items).toHaveLength(0);
    expect((await customer.client.get('/v1/submissions?status=queued')).body.items).toHaveLength(5);
  });

  it('refuses a forged cursor and unknown filters with 400', async () => {
    expect((await customer.client.get('/v1/submissions?cursor=bm9wZQ')).body.error).toBe('invalid_cursor');
    expect((await customer.client.get('/v1/submissions?status=lost')).status).toBe(400);
    expect((await customer.client.get('/v1/submissions?colour=red')).status).toBe(400);
  });
});
