import { createHash, randomBytes } from 'node:crypto';
import {
  ApiClient,
  confirmedCase,
  EICAR,
  eventually,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
  validatedChange,
} from '@sigdesk/testing';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the approvals inbox and a change with its case (GET /v1/signature-changes/awaiting-approval, /:id)', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment();
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  const inbox = async (client: ApiClient, query = '') => {
    const res = await client.get(`/v1/signature-changes/awaiting-approval${query}`);
    expect(res.status).toBe(200);
    return res.body as { items: Array<Record<string, any>>; nextCursor: string | null };
  };

  it("lists validated changes with their case, marks the caller's own, and lets them go once approved", async () => {
    const first = await validatedChange(env, customer, author, `Inbox_First_${randomBytes(3).toString('hex')}`);
    const second = await validatedChange(env, customer, author, `Inbox_Second_${randomBytes(3).toString('hex')}`);

    const seenByReviewer = await inbox(reviewer);
    const ids = seenByReviewer.items.map((c) => c.id);
    // the longest waiting first
    expect(ids.indexOf(first.changeId)).toBeLessThan(ids.indexOf(second.changeId));
    const listed = seenByReviewer.items.find((c) => c.id === first.changeId)!;
    expect(listed).toMatchObject({
      status: 'validated',
      type: 'add_detection',
      yours: false,
      authorName: 'analyst for tests',
      case: { id: first.caseId, kind: 'false_negative', tier: 'msa_start', severity: expect.any(Number) },
      report: { passed: true },
    });
    expect(listed.case.reference).toMatch(/^SD-/);
    expect(listed.rule).toContain(first.marker);
    expect((await inbox(author)).items.find((c) => c.id === first.changeId)).toMatchObject({ yours: true });

    // one page at a time: the cursor carries on where the page stopped
    const pageOne = await inbox(reviewer, '?limit=1');
    expect(pageOne.items).toHaveLength(1);
    expect(pageOne.nextCursor).toEqual(expect.any(String));
    const pageTwo = await inbox(reviewer, `?limit=1&cursor=${encodeURIComponent(pageOne.nextCursor!)}`);
    expect(pageTwo.items[0].id).not.toBe(pageOne.items[0].id);

    expect((await reviewer.post(`/v1/signature-changes/${first.changeId}/approve`, { note: 'fine' })).status).toBe(200);
    expect((await inbox(reviewer)).items.map((c) => c.id)).not.toContain(first.changeId);
    expect((await inbox(reviewer)).items.map((c) => c.id)).toContain(second.changeId);

    const detail = await reviewer.get(`/v1/signature-changes/${first.changeId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id: first.changeId,
      status: 'approved',
      authorName: 'analyst for tests',
      approvedByName: 'analyst for tests',
      case: { id: first.caseId, kind: 'false_negative', status: 'fix_scheduled' },
      replacedRule: null,
    });
  });

  it('tells the rule a replacement replaces, as it stood in the version the change was proven against', async () => {
    const falsePositive = Buffer.concat([Buffer.from(EICAR), randomBytes(32)]);
    const { id, reference } = await confirmedCase(env, customer, author, falsePositive, { kind: 'false_positive' });
    const rule = `rule EICAR_Test_File\n{\n    meta:\n        case = "${reference}"\n    strings:\n        $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"\n    condition:\n        $e at 35 and filesize < 80\n}`;
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'suppress_detection',
      targetRule: 'EICAR_Test_File',
      rule,
    });
    expect(proposed.status).toBe(202);
    const change = await eventually(
      () => reviewer.get(`/v1/signature-changes/${proposed.body.id}`),
      (res) => res.body.status !== 'validating',
    );
    expect(change.body.replacedRule).toMatchObject({ name: 'EICAR_Test_File', databaseVersion: 1 });
    expect(change.body.replacedRule.source).toContain('rule EICAR_Test_File');
    expect(change.body.replacedRule.source).not.toContain(reference);
    expect(change.body.rule).toContain(reference);

    // an allow-list entry replaces no rule
    const quoted = Buffer.concat([Buffer.from(EICAR), randomBytes(8)]);
    const other = await confirmedCase(env, customer, author, quoted, { kind: 'false_positive' });
    const allowList = await author.post(`/v1/cases/${other.id}/signature-changes`, {
      type: 'suppress_detection',
      sha256: sha256(quoted),
    });
    expect(allowList.status).toBe(202);
    const entry = await reviewer.get(`/v1/signature-changes/${allowList.body.id}`);
    expect(entry.body).toMatchObject({ sha256: sha256(quoted), replacedRule: null, case: { id: other.id } });
  });

  it('reads a rule of the newest content of a channel by name (GET /v1/signature-rules/:name)', async () => {
    const found = await reviewer.get('/v1/signature-rules/EICAR_Test_File');
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ channel: 'default', databaseVersion: 1, name: 'EICAR_Test_File' });
    expect(found.body.source).toContain('rule EICAR_Test_File');
    const release = await seedKey(env, 'release');
    expect((await release.get('/v1/signature-rules/EICAR_Test_File?channel=default')).status).toBe(200);

    expect((await reviewer.get('/v1/signature-rules/No_Such_Rule')).status).toBe(404);
    expect((await reviewer.get('/v1/signature-rules/EICAR_Test_File?channel=beta')).status).toBe(200);
    expect((await reviewer.get('/v1/signature-rules/not-an-identifier')).status).toBe(400);
    expect((await reviewer.get('/v1/signature-rules/EICAR_Test_File?channel=Bad%20Channel')).status).toBe(400);
    expect((await reviewer.get('/v1/signature-rules/EICAR_Test_File?version=1')).status).toBe(400);
    expect((await customer.client.get('/v1/signature-rules/EICAR_Test_File')).status).toBe(403);
    expect((await new ApiClient(env.url).get('/v1/signature-rules/EICAR_Test_File')).status).toBe(401);
  });

  it('is for analysts only, and refuses a cursor it did not hand out or a page too large', async () => {
    expect((await new ApiClient(env.url).get('/v1/signature-changes/awaiting-approval')).status).toBe(401);
    expect((await customer.client.get('/v1/signature-changes/awaiting-approval')).status).toBe(403);
    expect((await (await seedKey(env, 'release')).get('/v1/signature-changes/awaiting-approval')).status).toBe(403);
    const badCursor = await reviewer.get('/v1/signature-changes/awaiting-approval?cursor=yesterday');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error).toBe('invalid_cursor');
    const tooMany = await reviewer.get('/v1/signature-changes/awaiting-approval?limit=100000');
    expect(tooMany.status).toBe(400);
    const unknownField = await reviewer.get('/v1/signature-changes/awaiting-approval?status=approved');
    expect(unknownField.status).toBe(400);
    const missing = await reviewer.get('/v1/signature-changes/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });
});
