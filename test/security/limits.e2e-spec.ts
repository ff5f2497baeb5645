import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  ApiResponse,
  protectedZip,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';
import { MultipartBody, rawRequest, SpoolWatch } from './support/raw-http';

const KiB = 1024;

/** Small bounds, so that one over each is cheap to send; each comes from the `limits` section's variables. */
const LIMITS = {
  SIGDESK_LIMIT_URL_BYTES: '1024',
  SIGDESK_LIMIT_HEADER_BYTES: String(8 * KiB),
  SIGDESK_LIMIT_HEADER_COUNT: '40',
  SIGDESK_LIMIT_JSON_BODY_BYTES: String(32 * KiB),
  SIGDESK_LIMIT_JSON_DEPTH: '6',
  SIGDESK_LIMIT_JSON_KEYS: '30',
  SIGDESK_LIMIT_JSON_ARRAY_ITEMS: '100',
  SIGDESK_LIMIT_STRING_CHARS: String(8 * KiB),
  SIGDESK_MAX_SAMPLE_BYTES: String(512 * KiB),
  SIGDESK_LIMIT_UPLOAD_BYTES: String(1280 * KiB),
  SIGDESK_MAX_FILES_PER_SUBMISSION: '3',
  SIGDESK_LIMIT_MULTIPART_FIELDS: '12',
  SIGDESK_LIMIT_MULTIPART_FIELD_BYTES: String(4 * KiB),
  SIGDESK_ARCHIVE_MAX_ENTRIES: '3',
  SIGDESK_ARCHIVE_MAX_UNPACKED_BYTES: String(4096 * KiB),
  SIGDESK_ARCHIVE_MAX_RATIO: '200',
  SIGDESK_ARCHIVE_MAX_NESTING: '1',
  SIGDESK_LIMIT_WEBHOOKS_PER_ORGANIZATION: '2',
};

/** Text that compresses about twentyfold: within the ratio bound, so only its size counts. */
const sparseText = (length: number) => Array.from(randomBytes(length), (b) => (b < 12 ? 'B' : 'A')).join('');

/**
 * Walks the bounds of everything a client controls: one over each is refused with a clear 4xx (413 for a size,
 * 400 for a count, 431 for headers, 414 for a URL, 422 for archives and stored things) and stores nothing; at the
 * bound (where it is cheap to show) the same request goes through.
 */
describe('limits: one over each bound', () => {
  let env: TestEnvironment;
  let spoolRoot: string;
  let spool: SpoolWatch;
  let admin: ApiClient;
  let customer: SeededCustomer;

  beforeAll(async () => {
    spoolRoot = await mkdtemp(join(tmpdir(), 'sigdesk-security-spool-'));
    // webhooks to loopback: the count is what is tested here, not where they go
    env = await startTestEnvironment({
      worker: false,
      env: { ...LIMITS, SIGDESK_SPOOL_DIR: spoolRoot, SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true' },
    });
    spool = new SpoolWatch(spoolRoot);
    admin = new ApiClient(env.url, env.adminKey);
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { name: 'Acme', tier: 'msa_start' });
  });

  afterAll(async () => {
    spool?.close();
    await env?.close();
    await rm(spoolRoot, { recursive: true, force: true });
  });

  /** Every row and object a request might have stored. */
  async function stored() {
    const count = async (
      table:
        | 'organizations'
        | 'api_keys'
        | 'cases'
        | 'samples'
        | 'case_events'
        | 'webhooks'
        | 'clean_corpus_files'
        | 'sample_object_uploads',
    ) =>
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
    return {
      organizations: await count('organizations'),
      apiKeys: await count('api_keys'),
      cases: await count('cases'),
      samples: await count('samples'),
      events: await count('case_events'),
      webhooks: await count('webhooks'),
      corpus: await count('clean_corpus_files'),
      uploads: await count('sample_object_uploads'),
      objects: objects.sort(),
    };
  }

  async function expectRefused(
    send: () => Promise<Pick<ApiResponse, 'status' | 'body'>>,
    status: number,
    error: string,
  ): Promise<any> {
    const before = await stored();
    spool.reset();
    const res = await send();
    expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
    expect(typeof res.body.message).toBe('string');
    expect(await stored()).toEqual(before);
    return res.body;
  }

  /** No spool folder was made by the requests since the last `expectRefused`: refused before any file was read. */
  async function expectNothingSpooled() {
    expect(await spool.made()).toEqual([]);
  }

  const organization = (extra: Record<string, unknown> = {}) => ({
    name: 'Hooli',
    timezone: 'Europe/Madrid',
    country: 'ES',
    ...extra,
  });

  describe('HTTP', () => {
    it('refuses a URL one character over the bound with 414, and takes one at the bound', async () => {
      const base = '/v1/admin/organizations?pad=';
      const atBound = `${base}${'a'.repeat(1024 - base.length)}`;
      // the route ignores the query: at the bound the request goes through
      const within = await admin.request('POST', atBound, { json: organization() });
      expect(within.status).toBe(201);
      const body = await expectRefused(
        () => admin.request('POST', `${atBound}a`, { json: organization() }),
        414,
        'url_too_long',
      );
      expect(body.maxUrlBytes).toBe(1024);
    });

    it('refuses one header over the count with 431', async () => {
      const json = Buffer.from(JSON.stringify(organization()));
      const headers = (n: number) => {
        const all: Record<string, string | number> = {
          authorization: `Bearer ${env.adminKey}`,
          'content-type': 'application/json',
          'content-length': json.length,
          host: new URL(env.url).host,
          // given, so that Node adds no header of its own
          connection: 'close',
        };
        for (let i = Object.keys(all).length; i < n; i++) all[`x-padding-${i}`] = 'x';
        return all;
      };
      const atBound = await rawRequest(env.url, { path: '/v1/admin/organizations', headers: headers(40), body: json });
      expect(atBound.status).toBe(201);
      const body = await expectRefused(
        () => rawRequest(env.url, { path: '/v1/admin/organizations', headers: headers(41), body: json }),
        431,
        'too_many_headers',
      );
      expect(body.maxHeaders).toBe(40);
    });

    it('refuses headers larger than the bound with 431', async () => {
      await expectRefused(
        () =>
          admin.request('POST', '/v1/admin/organizations', {
            json: organization(),
            headers: { 'x-padding': 'x'.repeat(8 * KiB) },
          }),
        431,
        'headers_too_large',
      );
    });
  });

  describe('JSON bodies', () => {
    it('refuses a body one byte over the bound with 413', async () => {
      // whitespace is JSON too: a body of any size that is still a valid organisation
      const padded = (size: number) => {
        const json = JSON.stringify(organization());
        return json + ' '.repeat(size - json.length);
      };
      const raw = (body: string) =>
        rawRequest(env.url, {
          path: '/v1/admin/organizations',
          headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
          body: Buffer.from(body),
        });
      expect((await raw(padded(32 * KiB))).status).toBe(201);
      await expectRefused(() => raw(padded(32 * KiB + 1)), 413, 'payload_too_large');
    });

    it('refuses nesting one level deeper than the bound with 400', async () => {
      const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)]);
      // the body itself is the first level
      const atBound = await admin.post('/v1/admin/organizations', organization({ extra: nested(5) }));
      expect(atBound.body.error).toBe('invalid_input');
      const body = await expectRefused(
        () => admin.post('/v1/admin/organizations', organization({ extra: nested(6) })),
        400,
        'json_too_deep',
      );
      expect(body.maxDepth).toBe(6);
    });

    it('refuses an object with one key over the bound with 400', async () => {
      const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
      expect((await admin.post('/v1/admin/organizations', { ...organization(), ...keys(27) })).body.error).toBe(
        'invalid_input',
      );
      await expectRefused(
        () => admin.post('/v1/admin/organizations', { ...organization(), ...keys(28) }),
        400,
        'too_many_keys',
      );
    });

    it('refuses an array with one item over the bound with 400', async () => {
      const days = (n: number) => Array.from({ length: n }, () => 1);
      expect((await admin.post('/v1/admin/organizations', organization({ workingDays: days(100) }))).body.error).toBe(
        'invalid_input',
      );
      await expectRefused(
        () => admin.post('/v1/admin/organizations', organization({ workingDays: days(101) })),
        400,
        'too_many_items',
      );
    });

    it('refuses a string one character over the bound with 413, values and keys alike', async () => {
      expect(
        (await admin.post('/v1/admin/organizations', organization({ name: 'n'.repeat(8 * KiB) }))).body.error,
      ).toBe('invalid_input');
      await expectRefused(
        () => admin.post('/v1/admin/organizations', organization({ name: 'n'.repeat(8 * KiB + 1) })),
        413,
        'string_too_long',
      );
      await expectRefused(
        () => admin.post('/v1/admin/organizations', { ...organization(), ['k'.repeat(8 * KiB + 1)]: 1 }),
        413,
        'string_too_long',
      );
    });
  });

  describe('lists and stored things', () => {
    it('refuses a page one item larger than the page size with 400', async () => {
      expect((await customer.client.get('/v1/submissions?limit=200')).status).toBe(200);
      for (const path of [
        '/v1/submissions?limit=201',
        '/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries?limit=201',
      ]) {
        const body = await expectRefused(() => customer.client.get(path), 400, 'invalid_input');
        expect(body.maxPageSize).toBe(200);
      }
      const analyst = await seedKey(env, 'analyst');
      const release = await seedKey(env, 'release');
      for (const [client, path] of [
        [analyst, '/v1/review-queue?limit=201'],
        [release, '/v1/signature-changes?limit=201'],
        [release, '/v1/database-builds?limit=201'],
      ] as const) {
        expect((await client.get(path.replace('201', '200'))).status).toBe(200);
        await expectRefused(() => client.get(path), 400, 'invalid_input');
      }
    });

    it('refuses a webhook over the count of an organisation with 422', async () => {
      for (const n of [1, 2]) {
        expect((await customer.client.post('/v1/webhooks', { url: `http://127.0.0.1:9/${n}` })).status).toBe(201);
      }
      const body = await expectRefused(
        () => customer.client.post('/v1/webhooks', { url: 'http://127.0.0.1:9/3' }),
        422,
        'too_many_webhooks',
      );
      expect(body.limit).toBe(2);
    });
  });

  describe('multipart uploads', () => {
    const upload = (form: FormData) => customer.client.upload('/v1/submissions', form);
    const sample = (size: number) => ({ name: 'sample.bin', content: randomBytes(size) });

    it('refuses a file one byte over the bound with 413', async () => {
      await expectRefused(() => upload(submissionForm({}, [sample(512 * KiB + 1)])), 413, 'sample_too_large');
    });

    it('refuses one file part over the count with 400', async () => {
      await expectRefused(
        () => upload(submissionForm({}, [sample(100), sample(100), sample(100), sample(100)])),
        400,
        'too_many_files',
      );
    });

    it('refuses one field over the count with 400, before any file', async () => {
      const fields = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`extra${i}`, 'x']));
      await expectRefused(() => upload(submissionForm(fields, [sample(100)])), 400, 'too_many_fields');
      await expectNothingSpooled();
    });

    it('refuses a field one byte over the bound with 413, before any file', async () => {
      const body = await expectRefused(
        () => upload(submissionForm({ description: 'd'.repeat(4 * KiB + 1) }, [sample(100)])),
        413,
        'field_too_large',
      );
      expect(body.maxFieldBytes).toBe(4 * KiB);
      await expectNothingSpooled();
    });

    it('refuses one part over the count of parts with 400', async () => {
      const form = new FormData();
      for (let i = 0; i < 12; i++) form.append(`field${i}`, 'x');
      for (let i = 0; i < 3; i++) form.append('file', new Blob([randomBytes(100)]), `clean-${i}.bin`);
      form.append('one-more', 'x');
      await expectRefused(() => admin.upload('/v1/admin/clean-corpus', form), 400, 'too_many_parts');
    });

    it('refuses an upload that declares more bytes than the bound with 413 before reading it', async () => {
      const multipart = new MultipartBody()
        .fields({ kind: 'false_negative', severity: '2', product: 'p', productVersion: '1', databaseVersion: '100' })
        .file('sample', 'a.bin', randomBytes(1024), true);
      const answer = await expectRefused(
        () =>
          rawRequest(env.url, {
            path: '/v1/submissions',
            headers: {
              authorization: `Bearer ${customer.key}`,
              'content-type': multipart.contentType(),
              'content-length': 1280 * KiB + 1,
            },
            body: multipart.bytes,
            held: multipart.closing(randomBytes(1280 * KiB + 1 - multipart.bytes.length - 100)),
          }),
        413,
        'upload_too_large',
      );
      expect(answer.maxUploadBytes).toBe(1280 * KiB);
      await expectNothingSpooled();
    });

    it('refuses a chunked upload whose files add up to more than the bound with 413', async () => {
      const multipart = new MultipartBody().fields({
        kind: 'false_negative',
        severity: '2',
        product: 'p',
        productVersion: '1',
        databaseVersion: '100',
        description: 'three files within their own bound, not together',
      });
      for (let i = 0; i < 3; i++) multipart.file('sample', `s${i}.bin`, randomBytes(500 * KiB));
      await expectRefused(
        () =>
          rawRequest(env.url, {
            path: '/v1/submissions',
            // no Content-Length: Node sends the body chunked, so only counting it finds it too large
            headers: { authorization: `Bearer ${customer.key}`, 'content-type': multipart.contentType() },
            body: Buffer.concat([multipart.bytes, multipart.closing()]),
          }),
        413,
        'upload_too_large',
      );
    });
  });

  describe('protected ZIPs', () => {
    const submitZip = (zip: Buffer) =>
      customer.client.upload('/v1/submissions', submissionForm({}, [{ name: 'samples.zip', content: zip }]));

    it('refuses one entry over the count with 422', async () => {
      const entries = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ name: `s${i}.bin`, content: `sample ${i}` }));
      expect((await submitZip(await protectedZip(entries(3)))).status).toBe(201);
      await expectRefused(async () => submitZip(await protectedZip(entries(4))), 422, 'archive_too_many_entries');
    });

    it('refuses an archive that unpacks to more than the bound with 422', async () => {
      await expectRefused(
        async () =>
          submitZip(
            await protectedZip([
              { name: 'a.txt', content: sparseText(2100 * KiB) },
              { name: 'b.txt', content: sparseText(2100 * KiB) },
            ]),
          ),
        422,
        'archive_too_large',
      );
    });

    it('refuses an archive compressed more than the ratio allows with 422', async () => {
      // past the first MiB of an entry: tiny files compress extremely well without being bombs
      await expectRefused(
        async () => submitZip(await protectedZip([{ name: 'zeros.bin', content: Buffer.alloc(2048 * KiB) }])),
        422,
        'archive_ratio_exceeded',
      );
    });

    it('refuses archives nested one level deeper than the bound with 422', async () => {
      const inner = await protectedZip([{ name: 'deep.bin', content: 'nested sample' }]);
      expect((await submitZip(await protectedZip([{ name: 'inner.zip', content: inner }]))).status).toBe(201);
      const middle = await protectedZip([{ name: 'inner.zip', content: inner }]);
      await expectRefused(
        async () => submitZip(await protectedZip([{ name: 'middle.zip', content: middle }])),
        422,
        'archive_nested_too_deep',
      );
    });
  });
});
