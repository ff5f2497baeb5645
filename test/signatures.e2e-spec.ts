import { createHash, randomBytes } from 'node:crypto';
import { ChangeValidator, ruleRevision, rulesHash, SignatureEngine } from '@sigdesk/signatures';
import {
  ApiClient,
  confirmedCase as confirmCase,
  eventually,
  EICAR,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('signature changes', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;

  beforeAll(async () => {
    // the proofs with the changed rules alone are proven here (they are off by default: see config.builds.deltaProofs)
    env = await startTestEnvironment({ env: { SIGDESK_DELTA_PROOFS: 'true' } });
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  /** A case from submission to `confirmed`, with the intake job done. */
  const confirmedCase = (kind: 'false_negative' | 'false_positive', content: Buffer) =>
    confirmCase(env, customer, author, content, { kind });

  async function validated(changeId: string) {
    const res = await eventually(
      () => author.get(`/v1/signature-changes/${changeId}`),
      (r) => r.body.status !== 'validating',
    );
    return res.body;
  }

  const ruleFor = (name: string, reference: string, marker: string) => `
rule ${name} : trojan
{
    meta:
        case = "${reference}"
    strings:
        $m = "${marker}"
    condition:
        $m
}`;

  it('answers a broken rule at once with the compiler diagnostic', async () => {
    const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
    const res = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: `rule Broken {\n  meta:\n    case = "${reference}"\n  condition:\n    tru\n}`,
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('rule_does_not_compile');
    expect(res.body.diagnostics[0]).toMatchObject({
      line: 5,
      column: expect.any(Number),
      message: expect.stringContaining('tru'),
    });
  });

  it('validates a rule that detects the false negative, and a second analyst approves it', async () => {
    const marker = `SIGDESK-FN-${randomBytes(6).toString('hex')}`;
    const { id, reference } = await confirmedCase(
      'false_negative',
      Buffer.concat([randomBytes(200), Buffer.from(marker)]),
    );
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: ruleFor('Trojan_Test_Good', reference, marker),
    });
    expect(proposed.status).toBe(202);
    const change = await validated(proposed.body.id);
    expect(change.status).toBe('validated');
    expect(change.report.checks.map((c: any) => [c.check, c.passed])).toEqual([
      ['compiles', true],
      ['no_new_warnings', true],
      ['fixes_case', true],
      ['clean_corpus', true],
      ['scan_time_budget', true],
      ['regression', true],
    ]);
    expect(change.report.checks[2].evidence[0].rules[0]).toMatchObject({ rule: 'Trojan_Test_Good', offsets: [200] });

    const selfApproval = await author.post(`/v1/signature-changes/${change.id}/approve`, {});
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.error).toBe('self_approval');
    const approved = await reviewer.post(`/v1/signature-changes/${change.id}/approve`, { note: 'looks right' });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect((await customer.client.get(`/v1/submissions/${id}`)).body.status).toBe('fix_scheduled');

    const release = await seedKey(env, 'release');
    const feed = await release.get('/v1/signature-changes?status=approved');
    expect(feed.body.items.map((c: any) => c.id)).toContain(change.id);
    const resumed = await release.get(`/v1/signature-changes?status=approved&cursor=${feed.body.nextCursor}`);
    expect(resumed.body.items).toEqual([]);
  });

  it('fails a rule that does not detect the sample, and refuses to approve it', async () => {
    const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: ruleFor('Trojan_Test_Misses', reference, 'A-STRING-THAT-IS-NOT-THERE'),
    });
    const change = await validated(proposed.body.id);
    expect(change.status).toBe('validation_failed');
    expect(change.report.checks.find((c: any) => c.check === 'fixes_case').passed).toBe(false);
    const approval = await reviewer.post(`/v1/signature-changes/${change.id}/approve`, {});
    expect(approval.status).toBe(409);
    expect(approval.body.error).toBe('not_validated');
  });

  it('fails a rule that matches every file on the clean corpus, naming the files', async () => {
    const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: `rule Trojan_Test_Everything\n{\n    meta:\n        case = "${reference}"\n    condition:\n        filesize > 0\n}`,
    });
    const change = await validated(proposed.body.id);
    expect(change.status).toBe('validation_failed');
    const corpus = change.report.checks.find((c: any) => c.check === 'clean_corpus');
    expect(corpus.passed).toBe(false);
    expect(corpus.evidence.map((e: any) => e.file)).toEqual(expect.arrayContaining(['readme.txt', 'logo.png']));
  });

  it('fixes a false positive with an allow-list entry; runs of the same validation give one report', async () => {
    const falsePositive = Buffer.concat([
      Buffer.from(EICAR),
      Buffer.from(' quoted in the antivirus test handbook, page 12'),
    ]);
    const { id } = await confirmedCase('false_positive', falsePositive);
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'suppress_detection',
      sha256: sha256(falsePositive),
      reason: 'documentation that quotes the test string',
    });
    const change = await validated(proposed.body.id);
    expect(change.status).toBe('validated');
    expect(change.report.checks.find((c: any) => c.check === 'fixes_case').evidence[0]).toMatchObject({
      allowlisted: true,
    });

    const again = await env.sigdesk.app.get(ChangeValidator).validate(change.id);
    expect(again.status).toBe('validated');
    const after = (await author.get(`/v1/signature-changes/${change.id}`)).body;
    expect(after.validatedAt).toBe(change.validatedAt);
    expect(after.report).toEqual(change.report);
  });

  it('catches a rule disable that would un-detect an earlier false negative', async () => {
    // an earlier false negative that the current database detects: auto-triage resolves it as fixed
    const earlier = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'eicar.com', content: EICAR }]),
    );
    const fixed = await eventually(
      () => customer.client.get(`/v1/submissions/${earlier.body.id}`),
      (r) => r.body.status === 'fixed',
    );
    expect(fixed.body).toMatchObject({ status: 'fixed', fixedInDatabaseVersion: 1 });

    const falsePositive = Buffer.concat([Buffer.from(EICAR), randomBytes(20)]);
    const { id } = await confirmedCase('false_positive', falsePositive);
    const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'suppress_detection',
      targetRule: 'EICAR_Test_File',
    });
    const change = await validated(proposed.body.id);
    expect(change.status).toBe('validation_failed');
    const regression = change.report.checks.find((c: any) => c.check === 'regression');
    expect(regression.passed).toBe(false);
    expect(regression.evidence.map((e: any) => e.sha256)).toContain(sha256(EICAR));
  });

  it('annotates a case the current database cannot settle with what it says about each sample', async () => {
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'unknown.bin', content: randomBytes(500) }]),
    );
    const detail = await eventually(
      () => author.get(`/v1/cases/${submitted.body.id}`),
      (r) => r.body.timeline.some((e: any) => e.type === 'intake_completed'),
    );
    expect(detail.body.status).toBe('queued');
    const intake = detail.body.timeline.find((e: any) => e.type === 'intake_completed');
    expect(intake.data.triage).toEqual([expect.objectContaining({ detected: false, rules: [] })]);
  });

  it('resolves a false positive the current database no longer detects', async () => {
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ kind: 'false_positive', detectionName: 'Trojan.Old', databaseVersion: '1' }, [
        { name: 'tool.exe', content: randomBytes(500) },
      ]),
    );
    const resolved = await eventually(
      () => customer.client.get(`/v1/submissions/${submitted.body.id}`),
      (r) => r.body.status === 'fixed',
    );
    expect(resolved.body.fixedInDatabaseVersion).toBe(1);
    expect(resolved.body.timeline.at(-1).data.message).toContain('Update your product');
  });

  it('lets admins grow the clean corpus, which every later validation scans', async () => {
    const admin = new ApiClient(env.url, env.adminKey);
    const before = await admin.get('/v1/admin/clean-corpus');
    const form = new FormData();
    const clean = Buffer.from(`release notes ${randomBytes(8).toString('hex')}`);
    form.append('file', new Blob([clean]), 'release-notes.txt');
    const uploaded = await admin.upload('/v1/admin/clean-corpus', form);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.files).toEqual([expect.objectContaining({ sha256: sha256(clean), added: true })]);
    const after = await admin.get('/v1/admin/clean-corpus');
    expect(after.body.files).toHaveLength(before.body.files.length + 1);
    expect((await author.upload('/v1/admin/clean-corpus', form)).status).toBe(403);
  });

  it('refuses a rule without the case reference in its meta, and a second rule with a taken name', async () => {
    const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
    const noMeta = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: 'rule Trojan_No_Meta { strings: $a = "x-marker" condition: $a }',
    });
    expect(noMeta.body.error).toBe('rule_meta_missing_case');
    const taken = await author.post(`/v1/cases/${id}/signature-changes`, {
      type: 'add_detection',
      rule: ruleFor('EICAR_Test_File', reference, 'anything'),
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('rule_name_taken');
  });

  it('keeps changes to analysts and confirmed cases', async () => {
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'x', content: randomBytes(100) }]),
    );
    const notConfirmed = await author.post(`/v1/cases/${submitted.body.id}/signature-changes`, {
      type: 'add_detection',
      rule: 'rule X { condition: false }',
    });
    expect(notConfirmed.status).toBe(409);
    const asCustomer = await customer.client.post(`/v1/cases/${submitted.body.id}/signature-changes`, {
      type: 'add_detection',
    });
    expect(asCustomer.status).toBe(403);
  });

  describe('proofs with the changed rules alone', () => {
    const budgetOf = (report: any) => report.checks.find((c: any) => c.check === 'scan_time_budget');

    it("catches a clean file an added rule detects, and remembers the candidate's verdicts under its rules", async () => {
      const admin = new ApiClient(env.url, env.adminKey);
      const marker = `SIGDESK-CLEAN-${randomBytes(6).toString('hex')}`;
      const clean = Buffer.from(`installer notes mentioning ${marker}`);
      const form = new FormData();
      form.append('file', new Blob([clean]), 'installer-notes.txt');
      expect((await admin.upload('/v1/admin/clean-corpus', form)).status).toBe(201);
      const corpusFiles: string[] = (await admin.get('/v1/admin/clean-corpus')).body.files.map((f: any) => f.sha256);

      const sample = Buffer.concat([randomBytes(100), Buffer.from(marker)]);
      const { id, reference } = await confirmedCase('false_negative', sample);
      const name = `Trojan_Delta_${randomBytes(3).toString('hex')}`;
      const rule = ruleFor(name, reference, marker);
      const parent = await env.sigdesk.app.get(SignatureEngine).head('default');
      const proposed = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule });
      const change = await validated(proposed.body.id);

      expect(change.status).toBe('validation_failed');
      expect(budgetOf(change.report).figures).toMatchObject({ deltaFiles: corpusFiles.length, deltaRules: 1 });
      const corpus = change.report.checks.find((c: any) => c.check === 'clean_corpus');
      expect(corpus.passed).toBe(false);
      expect(corpus.evidence).toEqual([
        expect.objectContaining({ file: 'installer-notes.txt', rules: [{ rule: name, offsets: [27] }] }),
      ]);
      expect(change.report.guilty).toBeUndefined();

      // the build of this candidate (any process) reads the verdicts instead of scanning
      const candidateRules = rulesHash([...parent.content.rules, ruleRevision(name, rule)]);
      const stored = await env.db
        .selectFrom('scan_verdicts')
        .select(['sha256', 'rules'])
        .where('rules_hash', '=', candidateRules)
        .execute();
      // the clean corpus's, the case sample's and the regression collection's
      expect(stored.map((row) => row.sha256)).toEqual(expect.arrayContaining([...corpusFiles, sha256(sample)]));
      expect(stored.find((row) => row.sha256 === sha256(clean))?.rules).toEqual([name]);
    });

    it("leaves none of a replaced rule's matches in the candidate's verdicts", async () => {
      // detected by EICAR_Test_File (the test string at its start), longer than the test file itself
      const falsePositive = Buffer.concat([Buffer.from(EICAR), randomBytes(200)]);
      const { id, reference } = await confirmedCase('false_positive', falsePositive);
      const narrower = `
rule EICAR_Test_File : test
{
    meta:
        case = "${reference}"
    strings:
        $eicar = "X5O!P%@AP"
    condition:
        $eicar at 0 and filesize < 128
}`;
      const proposed = await author.post(`/v1/cases/${id}/signature-changes`, {
        type: 'suppress_detection',
        targetRule: 'EICAR_Test_File',
        rule: narrower,
      });
      expect(proposed.status).toBe(202);
      const change = await validated(proposed.body.id);

      expect(change.status).toBe('validated');
      expect(budgetOf(change.report).figures).toMatchObject({ deltaRules: 1, deltaFiles: expect.any(Number) });
      expect(budgetOf(change.report).figures.deltaFiles).toBeGreaterThan(0);
      const fixes = change.report.checks.find((c: any) => c.check === 'fixes_case');
      expect(fixes.evidence).toEqual([expect.objectContaining({ sha256: sha256(falsePositive), rules: [] })]);
      expect(change.report.diff).toContainEqual(
        expect.objectContaining({
          sha256: sha256(falsePositive),
          before: { detected: true, rules: ['EICAR_Test_File'] },
          after: { detected: false, rules: [] },
        }),
      );
    });
  });

  describe('the rule editor check (POST /v1/signature-changes/check)', () => {
    it('answers the diagnostics of a broken rule with lines and columns, and stores nothing', async () => {
      const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
      const changesBefore = await env.db.selectFrom('signature_changes').select('id').execute();
      const res = await author.post('/v1/signature-changes/check', {
        caseId: id,
        rule: `rule Broken {\n  meta:\n    case = "${reference}"\n  condition:\n    tru\n}`,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, ruleName: 'Broken', checkedAgainst: { channel: 'default' } });
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0]).toMatchObject({
        severity: 'error',
        line: 5,
        column: 5,
        message: expect.stringContaining('tru'),
      });
      expect(await env.db.selectFrom('signature_changes').select('id').execute()).toHaveLength(changesBefore.length);
    });

    it('passes the rule a proposal then takes, and reports warnings beside', async () => {
      const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
      const rule = ruleFor(`Trojan_Checked_${randomBytes(3).toString('hex')}`, reference, 'checked-marker');
      const res = await author.post('/v1/signature-changes/check', { caseId: id, rule });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, errors: [], warnings: expect.any(Array) });
      const proposed = await author.post(`/v1/cases/${id}/signature-changes`, { type: 'add_detection', rule });
      expect(proposed.status).toBe(202);

      // the name is now an open change's: a second rule of that name is told so at once, where it is declared
      const again = await author.post('/v1/signature-changes/check', { caseId: id, rule });
      expect(again.body.ok).toBe(false);
      expect(again.body.errors).toEqual([expect.objectContaining({ code: 'rule_name_taken', line: 2, column: 6 })]);
    });

    it('lists every problem at once: modifier, missing case reference, a name in the database', async () => {
      const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
      const res = await author.post('/v1/signature-changes/check', {
        caseId: id,
        rule: 'private rule EICAR_Test_File { condition: true }',
      });
      expect(res.body.ok).toBe(false);
      expect(res.body.errors.map((e: { code: string }) => e.code)).toEqual([
        'rule_modifier_refused',
        'rule_meta_missing_case',
        'rule_name_taken',
      ]);
      expect(res.body.errors[1].message).toContain(reference);
      // a replacement may keep the name of the rule it replaces
      const replacing = await author.post('/v1/signature-changes/check', {
        caseId: id,
        rule: ruleFor('EICAR_Test_File', reference, 'replacement-marker'),
        targetRule: 'EICAR_Test_File',
      });
      expect(replacing.body).toMatchObject({ ok: true, errors: [] });
    });

    it('survives hostile rules: too deep to compile safely, two rules, an include', async () => {
      const { id, reference } = await confirmedCase('false_negative', randomBytes(300));
      const meta = `meta: case = "${reference}"`;
      const deep = `rule Deep { ${meta} condition: ${'('.repeat(5_000)}true${')'.repeat(5_000)} }`;
      const answers = await Promise.all([
        author.post('/v1/signature-changes/check', { caseId: id, rule: deep }),
        author.post('/v1/signature-changes/check', {
          caseId: id,
          rule: `rule A { ${meta} condition: true }\nrule B { ${meta} condition: true }`,
        }),
        author.post('/v1/signature-changes/check', {
          caseId: id,
          rule: `include "/etc/passwd"\nrule I { ${meta} condition: true }`,
        }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(answers.map((a) => a.body.ok)).toEqual([false, false, false]);
      expect(answers[0].body.errors[0].code).toBe('nesting_too_deep');
      expect(answers[1].body.errors).toEqual([expect.objectContaining({ code: 'one_rule_per_change', line: 2 })]);
      expect(answers[2].body.errors[0]).toMatchObject({ line: 1 });
      expect((await new ApiClient(env.url).get('/health/live')).status).toBe(200);
    });

    it('is for analysts, about a case that exists, with a rule in the body', async () => {
      const { id } = await confirmedCase('false_negative', randomBytes(300));
      const rule = 'rule X { condition: true }';
      expect((await customer.client.post('/v1/signature-changes/check', { caseId: id, rule })).status).toBe(403);
      const missing = await author.post('/v1/signature-changes/check', {
        caseId: '00000000-0000-4000-8000-000000000000',
        rule,
      });
      expect(missing.status).toBe(404);
      const noRule = await author.post('/v1/signature-changes/check', { caseId: id });
      expect(noRule.status).toBe(400);
      const unknownField = await author.post('/v1/signature-changes/check', { caseId: id, rule, extra: 1 });
      expect(unknownField.status).toBe(400);
    });
  });
});
