import { randomBytes, randomUUID } from 'node:crypto';
import {
  ApiClient,
  protectedZip,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';
import { rowCounts, sampleStored, sha256 } from './support/stored-state';

const RLO = '\u202e';
/** What a console shows must be what the name is: no control, bidirectional or invisible formatting character. */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|\p{Cs}/u;

describe('sample names are shown as what they are', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let analyst: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { name: 'Names SL' });
    analyst = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Every place a sample's names are shown or kept: the 201, the customer's and the analyst's view, the row. */
  async function namesEverywhere(caseId: string, created: any) {
    const [mine, theirs, rows] = await Promise.all([
      customer.client.get(`/v1/submissions/${caseId}`),
      analyst.get(`/v1/cases/${caseId}`),
      env.db
        .selectFrom('case_samples')
        .select(['sha256', 'file_name', 'archive_path'])
        .where('case_id', '=', caseId)
        .execute(),
    ]);
    return [
      ...created.samples.map((s: any) => ({ sha256: s.sha256, fileName: s.fileName, archivePath: s.archivePath })),
      ...mine.body.samples.map((s: any) => ({ sha256: s.sha256, fileName: s.fileName, archivePath: s.archivePath })),
      ...theirs.body.samples.map((s: any) => ({ sha256: s.sha256, fileName: s.fileName, archivePath: s.archivePath })),
      ...rows.map((r) => ({ sha256: r.sha256, fileName: r.file_name, archivePath: r.archive_path })),
    ];
  }

  it('strips a right-to-left override that makes "exe.txt" read as "txt.exe", keeping the SHA-256', async () => {
    const content = randomBytes(400);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: `invoice${RLO}txt.exe`, content }]),
    );
    expect(res.status).toBe(201);
    for (const names of await namesEverywhere(res.body.id, res.body)) {
      expect(names).toEqual({ sha256: sha256(content), fileName: 'invoicetxt.exe', archivePath: null });
    }
  });

  it('strips C1 control characters from a file name', async () => {
    const content = randomBytes(400);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'red\u009b31m.exe', content }]),
    );
    expect(res.status).toBe(201);
    for (const names of await namesEverywhere(res.body.id, res.body)) {
      expect(names).toEqual({ sha256: sha256(content), fileName: 'red31m.exe', archivePath: null });
    }
  });

  it('names a file whose name is nothing but formatting characters "sample"', async () => {
    const content = randomBytes(400);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: `${RLO}\u2066\u200f`, content }]),
    );
    expect(res.status).toBe(201);
    for (const names of await namesEverywhere(res.body.id, res.body)) {
      expect(names).toEqual({ sha256: sha256(content), fileName: 'sample', archivePath: null });
    }
  });

  it('cuts a long name of emoji between characters, never inside one, and stores it with an Idempotency-Key', async () => {
    const content = randomBytes(400);
    const before = await rowCounts(env.db);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: `${'😀'.repeat(300)}.exe`, content }]),
      { 'idempotency-key': randomUUID() },
    );
    expect(res.status).toBe(201);
    const after = await rowCounts(env.db);
    expect(after.cases).toBe(before.cases + 1);
    expect(after.idempotency_keys).toBe(before.idempotency_keys + 1);
    for (const names of await namesEverywhere(res.body.id, res.body)) {
      expect(names.sha256).toBe(sha256(content));
      expect([...names.fileName].length).toBeLessThanOrEqual(255);
      expect(names.fileName).not.toMatch(HIDDEN);
      expect(names.fileName.endsWith('.exe')).toBe(true);
    }
  });

  it('strips control and bidirectional characters from ZIP entry names, and caps their length', async () => {
    const long = randomBytes(300);
    const spoofed = randomBytes(300);
    const escaped = randomBytes(300);
    const hollow = randomBytes(300);
    const zip = await protectedZip([
      { name: `${'d/'.repeat(10_000)}${'a'.repeat(40_000)}.exe`, content: long },
      { name: `docs/report${RLO}fdp.scr`, content: spoofed },
      { name: 'docs/\u001b[2Jclear.bin', content: escaped },
      { name: `docs/${RLO}\u2066`, content: hollow },
    ]);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'samples.zip', content: zip }]),
    );
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body).length).toBeLessThan(10_000);
    const names = await namesEverywhere(res.body.id, res.body);
    expect(names).toHaveLength(16);
    const bySha = (content: Buffer) => names.filter((n) => n.sha256 === sha256(content));
    for (const n of bySha(long)) {
      expect([...n.fileName].length).toBeLessThanOrEqual(255);
      expect(n.fileName.endsWith('.exe')).toBe(true);
      expect([...n.archivePath].length).toBeLessThanOrEqual(1024);
      expect(n.archivePath.startsWith('samples.zip!d/d/')).toBe(true);
      expect(n.archivePath.endsWith('aaaa.exe')).toBe(true);
    }
    for (const n of bySha(spoofed)) {
      expect(n).toMatchObject({ fileName: 'reportfdp.scr', archivePath: 'samples.zip!docs/reportfdp.scr' });
    }
    for (const n of bySha(escaped)) {
      expect(n).toMatchObject({ fileName: '[2Jclear.bin', archivePath: 'samples.zip!docs/[2Jclear.bin' });
    }
    for (const n of bySha(hollow)) {
      expect(n).toMatchObject({ fileName: 'sample', archivePath: 'samples.zip!docs/sample' });
    }
    for (const n of names) {
      expect(n.fileName).not.toMatch(HIDDEN);
      expect(n.archivePath).not.toMatch(HIDDEN);
    }
  });

  it('refuses a ZIP with a wrong password without echoing its 60,000-character entry name, and stores nothing', async () => {
    const content = randomBytes(300);
    const name = `${RLO}${'x'.repeat(60_000)}.exe`;
    const zip = await protectedZip([{ name, content }], { password: 'not-infected' });
    const before = await rowCounts(env.db);
    const res = await customer.client.upload(
      '/v1/submissions',
      submissionForm({}, [{ name: 'samples.zip', content: zip }]),
    );
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('archive_wrong_password');
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    expect(JSON.stringify(res.body)).not.toMatch(HIDDEN);
    expect(await rowCounts(env.db)).toEqual(before);
    expect(await sampleStored(env, content)).toBe(false);
    expect(await sampleStored(env, zip)).toBe(false);
  });
});
