import { createHash, randomBytes } from 'node:crypto';
import { DatabaseBuilder } from '@sigdesk/builds';
import { ChangeValidator } from '@sigdesk/signatures';
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
  submissionForm,
  TestEnvironment,
  validatedChange,
} from '@sigdesk/testing';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('release proof', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;
  let release: ApiClient;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ env: { SIGDESK_SCAN_TIMEOUT_SECONDS: '3' } });
    await seedRelease(env, 1);
    // standard tier: builds run when the test says so, not on approval
    customer = await seedCustomer(env, { tier: 'standard' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
    release = await seedKey(env, 'release');
    admin = new ApiClient(env.url, env.adminKey);
  });
  afterAll(async () => {
    await env?.close();
  });

  const confirmed = (kind: 'false_negative' | 'false_positive', content: Buffer) =>
    confirmedCase(env, customer, author, content, { kind });

  const settled = async (changeId: string) =>
    (
      await eventually(
        () => author.get(`/v1/signature-changes/${changeId}`),
        (r) => r.body.status !== 'validating',
        40_000,
      )
    ).body;

  it('refuses a global rule, and the regression gate catches one that bypasses the check, with the detection diff', async () => {
    // EICAR is in the regression collection: a false negative the published release detects
    const earlier = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'eicar.com', content: EICAR }]),
    );
    await eventually(
      () => customer.client.get(`/v1/submissions/${earlier.body.id}`),
      (r) => r.body.status === 'fixed',
    );

    const marker = `GLOBAL-${randomBytes(6).toString('hex')}`;
    const { id, reference } = await confirmed('false_negative', Buffer.from(`payload ${marker}`));
    const rule = `global rule Trojan_Global_Switch\n{\n  meta:\n    case = "${reference}"\n  strings:\n    $m = "${marker}"\n  condition:\n    $m\n}`;
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule });
    expect(proposed.status).toBe(422);
    expect(proposed.body.error).toBe('rule_modifier_refused');

    // written past the API (an older client, a direct insert): the proof still refuses it, and says why
    const analystId = (
      await env.db.selectFrom('api_keys').select('id').where('role', '=', 'analyst').executeTakeFirstOrThrow()
    ).id;
    const inserted = await env.db
      .insertInto('signature_changes')
      .values({
        case_id: id,
        channel: 'default',
        type: 'add_detection',
        rule_name: 'Trojan_Global_Switch',
        rule_source: rule,
        author: analystId,
        status: 'validating',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await env.sigdesk.app.get(ChangeValidator).validate(inserted.id)).toEqual({ status: 'validation_failed' });
    const report = (await author.get(`/v1/signature-changes/${inserted.id}`)).body.report;
    const regression = report.checks.find((c: { check: string }) => c.check === 'regression');
    expect(regression).toMatchObject({ passed: false });
    expect(regression.evidence.map((e: { sha256: string }) => e.sha256)).toContain(sha256(EICAR));
    expect(report.diff).toContainEqual(
      expect.objectContaining({
        sha256: sha256(EICAR),
        collection: 'regression',
        before: { detected: true, rules: ['EICAR_Test_File'] },
        after: { detected: false, rules: [] },
        intended: false,
      }),
    );
  });

  it('refuses a replacement rule that stops detecting known malware, with the detection diff', async () => {
    const falsePositive = Buffer.concat([EICAR, randomBytes(16)]);
    const { id, reference } = await confirmed('false_positive', falsePositive);
    const narrower = `rule EICAR_Test_File\n{\n  meta:\n    case = "${reference}"\n  strings:\n    $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE-NEVER"\n  condition:\n    $e\n}`;
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'suppress_detection',
      targetRule: 'EICAR_Test_File',
      rule: narrower,
    });
    expect(proposed.status).toBe(202);
    const change = await settled(proposed.body.id);
    expect(change.status).toBe('validation_failed');
    expect(change.report.checks.find((c: { check: string }) => c.check === 'fixes_case').passed).toBe(true);
    expect(change.report.checks.find((c: { check: string }) => c.check === 'regression').passed).toBe(false);
    expect(change.report.diff).toContainEqual(
      expect.objectContaining({ sha256: sha256(EICAR), before: expect.objectContaining({ detected: true }) }),
    );
  });

  it('answers two proposals of one rule name at once with one change and one 409', async () => {
    const marker = `RACE-${randomBytes(6).toString('hex')}`;
    const a = await confirmed('false_negative', Buffer.from(`a ${marker}`));
    const b = await confirmed('false_negative', Buffer.from(`b ${marker}`));
    const rule = (reference: string) =>
      `rule Trojan_Same_Name\n{\n  meta:\n    case = "${reference}"\n  strings:\n    $m = "${marker}"\n  condition:\n    $m\n}`;
    const answers = await Promise.all([
      author.post(`/v1/cases/${a.id}/signature-changes`, { type: 'add_detection', rule: rule(a.reference) }),
      author.post(`/v1/cases/${b.id}/signature-changes`, { type: 'add_detection', rule: rule(b.reference) }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(answers.find((r) => r.status === 409)!.body.error).toBe('rule_name_taken');
    await settled(answers.find((r) => r.status === 202)!.body.id);
  });

  it('fails a change whose rule runs past the scan budget, and every process stays alive', async () => {
    const { id, reference } = await confirmed('false_negative', Buffer.concat([randomBytes(4096)]));
    const spin = `rule Trojan_Spin\n{\n  meta:\n    case = "${reference}"\n  condition:\n    for any i in (0..filesize) : (for any j in (0..filesize) : (for any k in (0..filesize) : (uint8(i) == uint8(j) + uint8(k) + 1000)))\n}`;
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule: spin });
    expect(proposed.status).toBe(202);
    const change = await settled(proposed.body.id);
    expect(change.status).toBe('validation_failed');
    expect(change.report.checks.at(-1)).toMatchObject({
      check: 'scan_time_budget',
      passed: false,
      summary: expect.stringContaining('scan budget exceeded'),
    });

    const deep = `rule Trojan_Deep\n{\n  meta:\n    case = "${reference}"\n  condition:\n    ${'('.repeat(50_000)}true${')'.repeat(50_000)}\n}`;
    const refused = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule: deep });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('rule_does_not_compile');
    // the API and the worker are still here
    expect((await new ApiClient(env.url).get('/health/live')).status).toBe(200);
    const next = await validatedChange(env, customer, author, 'Trojan_After_Attacks');
    expect((await author.get(`/v1/signature-changes/${next.changeId}`)).body.status).toBe('validated');
  });

  it('marks a case handled only by a stored, unpublished build fix_scheduled, and fixed when it is published', async () => {
    const change = await validatedChange(env, customer, author, 'Trojan_Unpublished');
    expect((await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {})).status).toBe(200);
    const built = await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled');
    expect(built.status).toBe('stored');

    // a customer on the published release meets the same malware
    const sample = Buffer.concat([randomBytes(64), Buffer.from(change.marker)]);
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'again.bin', content: sample }]),
    );
    const scheduled = await eventually(
      () => customer.client.get(`/v1/submissions/${submitted.body.id}`),
      (r) => r.body.status !== 'received' && r.body.status !== 'queued',
    );
    expect(scheduled.body).toMatchObject({
      status: 'fix_scheduled',
      fixedInDatabaseVersion: null,
      fixScheduledInDatabaseVersion: built.version,
    });

    expect((await release.post(`/v1/database-builds/${built.version}/publish`)).status).toBe(200);
    for (const caseId of [submitted.body.id, change.caseId]) {
      const fixed = await customer.client.get(`/v1/submissions/${caseId}`);
      expect(fixed.body).toMatchObject({ status: 'fixed', fixedInDatabaseVersion: built.version });
    }
  });

  it('builds two channels independently, each from its own content', async () => {
    await admin.post('/v1/admin/database-releases', {
      channel: 'beta',
      version: 1,
      releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const onDefault = await validatedChange(env, customer, author, 'Trojan_Channel_Default');
    const onBeta = await validatedChange(env, customer, author, 'Trojan_Channel_Beta', { channel: 'beta' });
    for (const c of [onDefault, onBeta]) await reviewer.post(`/v1/signature-changes/${c.changeId}/approve`, {});
    const builder = env.sigdesk.app.get(DatabaseBuilder);
    const beta = await builder.build('beta', 'scheduled');
    const main = await builder.build('default', 'scheduled');
    expect(beta).toEqual({ version: 2, status: 'stored' });
    expect(main.status).toBe('stored');

    const files = async (channel: string, version: number) => {
      const detail = await release.get(`/v1/database-builds/${version}?channel=${channel}`);
      const read = async (name: string) => (await fetch(detail.body.downloads[name])).text();
      return { rules: await read('rules.yar'), delta: JSON.parse(await read('delta.json')) };
    };
    const betaFiles = await files('beta', beta.version!);
    expect(betaFiles.delta.rules.added.map((r: { name: string }) => r.name)).toEqual(['Trojan_Channel_Beta']);
    expect(betaFiles.rules).toContain('Trojan_Channel_Beta');
    expect(betaFiles.rules).not.toContain('Trojan_Channel_Default');
    expect(betaFiles.rules).not.toContain('Trojan_Unpublished');
    const mainFiles = await files('default', main.version!);
    expect(mainFiles.delta.rules.added.map((r: { name: string }) => r.name)).toEqual(['Trojan_Channel_Default']);
    expect(mainFiles.rules).toContain('Trojan_Unpublished');
    expect(mainFiles.rules).not.toContain('Trojan_Channel_Beta');
  });

  it('stops applying an allow-list entry past its expiry', async () => {
    const clean = Buffer.concat([EICAR, randomBytes(24)]);
    const { id } = await confirmed('false_positive', clean);
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'suppress_detection',
      sha256: sha256(clean),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect((await settled(proposed.body.id)).status).toBe('validated');
    await reviewer.post(`/v1/signature-changes/${proposed.body.id}/approve`, {});
    const built = await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled');
    expect(built.status).toBe('stored');
    await release.post(`/v1/database-builds/${built.version}/publish`);

    const triage = async () => {
      const submitted = await customer.client.upload(
        '/v1/submissions',
        submissionForm({ kind: 'false_positive', detectionName: 'EICAR', databaseVersion: String(built.version) }, [
          { name: 'tool.exe', content: clean },
        ]),
      );
      return (
        await eventually(
          () => customer.client.get(`/v1/submissions/${submitted.body.id}`),
          (r) => r.body.status !== 'received' && r.body.status !== 'queued',
          5_000,
        )
      ).body.status;
    };
    expect(await triage()).toBe('fixed');
    // the entry's time is up
    const row = await env.db
      .selectFrom('signature_contents')
      .select('allowlist')
      .where('channel', '=', 'default')
      .where('version', '=', built.version!)
      .executeTakeFirstOrThrow();
    const expired = row.allowlist.map((e) =>
      e.sha256 === sha256(clean) ? { ...e, expiresAt: new Date(Date.now() - 1000).toISOString() } : e,
    );
    await env.db
      .updateTable('signature_contents')
      .set({ allowlist: JSON.stringify(expired) })
      .where('channel', '=', 'default')
      .where('version', '=', built.version!)
      .execute();
    expect(await triage()).toBe('queued');
  });

  it('proves a change with every check when its channel has no rules at all', async () => {
    await admin.post('/v1/admin/database-releases', {
      channel: 'empty',
      version: 1,
      releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const base = await env.db.selectFrom('rule_revisions').select('sha256').where('base', '=', true).execute();
    await env.db.updateTable('rule_revisions').set({ base: false }).where('base', '=', true).execute();
    try {
      const change = await validatedChange(env, customer, author, 'Trojan_First_Rule', { channel: 'empty' });
      const report = (await author.get(`/v1/signature-changes/${change.changeId}`)).body.report;
      expect(report.checks.map((c: { check: string; passed: boolean }) => [c.check, c.passed])).toEqual([
        ['compiles', true],
        ['no_new_warnings', true],
        ['fixes_case', true],
        ['clean_corpus', true],
        ['scan_time_budget', true],
        ['regression', true],
      ]);
      expect(report.parentVersion).toBe(1);
    } finally {
      await env.db
        .updateTable('rule_revisions')
        .set({ base: true })
        .where(
          'sha256',
          'in',
          base.map((r) => r.sha256),
        )
        .execute();
    }
  });
});

describe('stopping during a proof', () => {
  it('stops the engines at once on shutdown, and leaves the change to be validated again rather than failed', async () => {
    // a scan timeout far beyond the test's own: the shutdown must not wait for the slow scan to time out
    const env = await startTestEnvironment({ env: { SIGDESK_SCAN_TIMEOUT_SECONDS: '900' } });
    try {
      await seedRelease(env, 1);
      const customer = await seedCustomer(env, { tier: 'standard' });
      const author = await seedKey(env, 'analyst');
      const { id, reference } = await confirmedCase(env, customer, author, randomBytes(4096));
      const spin = `rule Trojan_Spin_Shutdown\n{\n  meta:\n    case = "${reference}"\n  condition:\n    for any i in (0..filesize) : (for any j in (0..filesize) : (for any k in (0..filesize) : (uint8(i) == uint8(j) + uint8(k) + 1000)))\n}`;
      const proposed = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule: spin });
      expect(proposed.status).toBe(202);
      // the candidate is scanning the case's sample, which never ends
      await eventually(
        () => author.get(`/v1/signature-changes/${proposed.body.id}`),
        (r) => r.body.progress?.stage === 'case samples',
        30_000,
      );
      await env.stop();
      const change = await env.db
        .selectFrom('signature_changes')
        .select(['status', 'report'])
        .where('id', '=', proposed.body.id)
        .executeTakeFirstOrThrow();
      expect(change).toEqual({ status: 'validating', report: null });
    } finally {
      await env.close();
    }
  }, 60_000);
});
