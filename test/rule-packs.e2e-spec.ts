import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobWriter, TextReader, ZipWriter } from '@zip.js/zip.js';
import { run } from '../apps/cli/src/cli';
import { DatabaseBuilder } from '@sigdesk/builds';
import { loadYaraX } from '@sigdesk/detection';
import {
  ApiClient,
  eventually,
  invitePerson,
  seedKey,
  seedRelease,
  SmtpCatcher,
  startSmtpCatcher,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';

/** A ZIP of the given files, as a lab would upload its pack. */
async function zipOf(files: Record<string, string>): Promise<Blob> {
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  for (const [path, text] of Object.entries(files)) await writer.add(path, new TextReader(text));
  return writer.close();
}

describe('rule pack imports', () => {
  let env: TestEnvironment;
  let smtp: SmtpCatcher;
  let admin: ApiClient;
  let analyst: ApiClient;
  const cleanMarker = `VENDOR-TOOL-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // people are invited by mail: the admin of the web console uploads with a session
    smtp = await startSmtpCatcher();
    env = await startTestEnvironment({
      env: { SIGDESK_SMTP_URL: smtp.url, SIGDESK_MAIL_FROM: 'sigdesk <no-reply@sigdesk.example>' },
    });
    await seedRelease(env, 1);
    admin = new ApiClient(env.url, env.adminKey);
    analyst = await seedKey(env, 'analyst');
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`a clean vendor tool ${cleanMarker}`)]), 'vendor-tool.txt');
    expect((await admin.upload('/v1/admin/clean-corpus', form)).status).toBe(201);
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.close();
  });

  const upload = async (pack: Blob, name: string, fields: Record<string, string> = {}, client = admin) => {
    const form = new FormData();
    for (const [field, value] of Object.entries(fields)) form.append(field, value);
    form.append('pack', pack, name);
    return client.upload('/v1/admin/rulesets/import', form);
  };

  const analysed = async (id: string) =>
    (
      await eventually(
        () => admin.get(`/v1/admin/rulesets/imports/${id}`),
        (r) => r.body.status !== 'analysing',
        60_000,
      )
    ).body;

  /** The change once its validation has ended. */
  const validated = async (changeId: string) =>
    (
      await eventually(
        () => analyst.get(`/v1/signature-changes/${changeId}`),
        (r) => r.body.status !== 'validating',
        60_000,
      )
    ).body;

  // two files with the same rule names (each in its own namespace), a module import and a private helper in one,
  // a helper rule that matches a clean file (used by another rule), and a file that does not compile
  const packFiles = {
    'acme-rules/malware/droppers.yar': `
import "pe"
private rule IsPe { condition: pe.is_pe }
rule Acme_Dropper { strings: $a = "ACME-DROPPER-MARK" condition: $a and not IsPe }
rule Acme_Generic { strings: $a = { 41 43 4D 45 2D 47 45 4E 45 52 49 43 2D 4D 41 52 4B } condition: $a }
`,
    'acme-rules/malware/generic.yar': `
rule Acme_Generic { strings: $a = "ACME-GENERIC-TWO" condition: $a }
rule Vendor_Tool { strings: $v = "${cleanMarker}" condition: $v }
rule Acme_Named { strings: $b = "ACME-NAMED" condition: $b and not Vendor_Tool and extension == ".exe" }
`,
    'acme-rules/broken/unknown-module.yar': `
import "cuckoo_sandbox"
rule Acme_Broken { condition: true }
`,
    'acme-rules/README.md': '# not rules',
  };

  it('reads a ZIP pack, compiles each file in its namespace and reports per file and per rule', async () => {
    const created = await upload(await zipOf(packFiles), 'acme-rules.zip');
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'analysing', packName: 'acme-rules', format: 'zip', files: 3 });
    expect(created.body.skipped).toEqual([{ path: 'acme-rules/README.md', reason: expect.any(String) }]);

    const report = await analysed(created.body.id);
    expect(report.status).toBe('analysed');
    expect(report.summary).toMatchObject({
      files: 3,
      compiled: 2,
      failed: 1,
      rules: 6,
      rulesWithCleanHits: 1,
      cleanCorpus: { filesHit: 1 },
    });
    const byPath = Object.fromEntries(report.files.map((f: any) => [f.path, f]));
    const broken = byPath['acme-rules/broken/unknown-module.yar'];
    expect(broken.compiled).toBe(false);
    expect(broken.errors[0]).toMatchObject({ line: 2, message: expect.stringContaining('cuckoo_sandbox') });

    const generic = byPath['acme-rules/malware/generic.yar'];
    expect(generic).toMatchObject({ compiled: true, namespace: 'acme-rules/malware/generic' });
    expect(generic.rules.find((r: any) => r.name === 'Vendor_Tool')).toMatchObject({
      cleanHits: 1,
      cleanFiles: ['vendor-tool.txt'],
      flagged: ['clean_corpus_hits'],
    });
    expect(generic.rules.find((r: any) => r.name === 'Acme_Generic')).toMatchObject({ cleanHits: 0, flagged: [] });
    const droppers = byPath['acme-rules/malware/droppers.yar'];
    expect(droppers.rules.map((r: any) => [r.name, r.private])).toEqual([
      ['IsPe', true],
      ['Acme_Dropper', false],
      ['Acme_Generic', false],
    ]);
    const shares = [droppers.profile.share, generic.profile.share];
    expect(shares.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(broken.profile).toBeNull();

    expect((await admin.get('/v1/admin/rulesets/imports')).body.items[0]).toMatchObject({ id: created.body.id });
  });

  it('accepts a pack without its flagged rules as one change, proven, approved and built in its namespaces', async () => {
    const created = await upload(await zipOf(packFiles), 'acme-rules.zip');
    const id = created.body.id;
    const analysis = await analysed(id);
    expect((await analyst.post(`/v1/admin/rulesets/imports/${id}/accept`, { rules: 'unflagged' })).status).toBe(403);
    const accepted = await admin.post(`/v1/admin/rulesets/imports/${id}/accept`, { rules: 'unflagged' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ type: 'import_rules', caseId: null, rulePackImportId: id });
    expect((await admin.post(`/v1/admin/rulesets/imports/${id}/accept`, { rules: 'all' })).body.error).toBe(
      'import_not_analysed',
    );

    const change = await validated(accepted.body.id);
    expect(change.report.checks.map((c: any) => [c.check, c.passed])).toEqual([
      ['compiles', true],
      ['no_new_warnings', true],
      ['clean_corpus', true],
      ['scan_time_budget', true],
      ['regression', true],
    ]);
    expect(change.status).toBe('validated');
    // the hex string YARA-X would rather see as text: a warning of the pack, listed in its report, not a failure
    expect(change.report.checks[1].summary).toBe(
      "no new compiler warnings (and 1 of imported pack files, accepted with their import's report)",
    );
    expect(change.report.checks[1].diagnostics).toEqual([
      expect.objectContaining({ code: 'text_as_hex', source: 'acme-rules/malware/droppers' }),
    ]);
    // the pack brings its scan cost on purpose: the budget allows for what the analysis measured
    const budget = change.report.checks.find((c: any) => c.check === 'scan_time_budget');
    expect(budget.figures.importAllowanceMs).toBe(Math.round(analysis.summary.cleanCorpus.cpuMillis));
    expect(budget.figures.budgetMs).toBe(
      Math.round((budget.figures.withoutMs + budget.figures.importAllowanceMs) * 1.5 + 50),
    );
    expect(change.rulePack).toMatchObject({ id, packName: 'acme-rules' });
    // analysts find it in their approvals inbox, by its pack
    const inbox = await analyst.get('/v1/signature-changes/awaiting-approval');
    expect(inbox.body.items).toContainEqual(
      expect.objectContaining({ id: change.id, type: 'import_rules', case: null, packName: 'acme-rules' }),
    );
    expect((await analyst.post(`/v1/signature-changes/${change.id}/approve`, {})).status).toBe(200);

    const built = await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled');
    expect(built).toEqual({ version: 2, status: 'stored' });
    const namespaced = JSON.parse((await env.store.getBuffer('builds/default/2/namespaces.json')).toString('utf8'));
    expect(namespaced.files.map((f: any) => [f.namespace, f.pack, f.file])).toEqual([
      ['acme-rules/malware/droppers', 'acme-rules', 'acme-rules/malware/droppers.yar'],
      ['acme-rules/malware/generic', 'acme-rules', 'acme-rules/malware/generic.yar'],
    ]);
    const manifest = JSON.parse((await env.store.getBuffer('builds/default/2/manifest.json')).toString('utf8'));
    // the base ruleset's four rules and the pack's six (its files are two entries of the content)
    expect(manifest.ruleCount).toBe(10);
    expect(manifest.files.map((f: any) => f.name)).toContain('namespaces.json');
    // the flagged helper stays, private: the rule that uses it still compiles, and it detects nothing itself
    expect(namespaced.files[1].source).toContain('private rule Vendor_Tool');

    // release tooling loads the compiled rules as shipped: both Acme_Generic rules, each in its namespace
    const compiled = loadYaraX().deserialize(await env.store.getBuffer('builds/default/2/rules.yarc'));
    const found = compiled
      .scan(Buffer.from(`ACME-GENERIC-MARK ACME-GENERIC-TWO ${cleanMarker}`))
      .map((m) => `${m.namespace}:${m.ruleIdentifier}`)
      .sort();
    expect(found).toEqual(['acme-rules/malware/droppers:Acme_Generic', 'acme-rules/malware/generic:Acme_Generic']);
    const named = compiled.scan(Buffer.from('ACME-NAMED'), { filename: 'x.exe', extension: '.exe' });
    expect(named.map((m) => m.ruleIdentifier)).toEqual(['Acme_Named']);
  });

  it('takes a new version of a pack in whole: a file it no longer has goes from the next build', async () => {
    // version 2 of acme-rules, downloaded under another name: droppers changed, generic gone, a new file
    const droppers = packFiles['acme-rules/malware/droppers.yar'];
    const secondVersion = {
      'acme-rules-2.0/malware/droppers.yar': `${droppers}\nrule Acme_Dropper_Two { strings: $a = "ACME-DROPPER-TWO" condition: $a }\n`,
      'acme-rules-2.0/malware/fresh.yar': 'rule Acme_Fresh { strings: $a = "ACME-FRESH-MARK" condition: $a }\n',
    };
    const created = await upload(await zipOf(secondVersion), 'acme-rules-2.0.zip', { packName: 'acme-rules' });
    expect(created.status).toBe(202);
    expect(created.body.packName).toBe('acme-rules');
    const report = await analysed(created.body.id);
    expect(report.files.map((f: any) => f.namespace)).toEqual([
      'acme-rules/malware/droppers',
      'acme-rules/malware/fresh',
    ]);
    // what accepting it would take out of the database built by the test before
    expect(report.replaces).toEqual({
      channel: 'default',
      version: 2,
      files: 2,
      removed: [
        { namespace: 'acme-rules/malware/generic', path: 'acme-rules/malware/generic.yar', reason: 'not_in_import' },
      ],
    });

    const accepted = await admin.post(`/v1/admin/rulesets/imports/${created.body.id}/accept`, { rules: 'unflagged' });
    expect(accepted.status).toBe(202);
    const change = await validated(accepted.body.id);
    expect(change.status).toBe('validated');
    expect((await analyst.post(`/v1/signature-changes/${change.id}/approve`, {})).status).toBe(200);
    expect((await admin.get(`/v1/admin/rulesets/imports/${created.body.id}`)).body.replaces).toBeNull();

    expect(await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled')).toEqual({
      version: 3,
      status: 'stored',
    });
    const namespaced = JSON.parse((await env.store.getBuffer('builds/default/3/namespaces.json')).toString('utf8'));
    expect(namespaced.files.map((f: any) => [f.namespace, f.file])).toEqual([
      ['acme-rules/malware/droppers', 'acme-rules-2.0/malware/droppers.yar'],
      ['acme-rules/malware/fresh', 'acme-rules-2.0/malware/fresh.yar'],
    ]);
    const compiled = loadYaraX().deserialize(await env.store.getBuffer('builds/default/3/rules.yarc'));
    const found = compiled
      .scan(Buffer.from('ACME-GENERIC-TWO ACME-DROPPER-TWO ACME-FRESH-MARK'))
      .map((m) => `${m.namespace}:${m.ruleIdentifier}`)
      .sort();
    expect(found).toEqual(['acme-rules/malware/droppers:Acme_Dropper_Two', 'acme-rules/malware/fresh:Acme_Fresh']);
  });

  it('imports from the CLI with progress and the report; all rules accepted, the proof fails on the clean file', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sigdesk-pack-'));
    try {
      const file = join(work, 'acme-rules.zip');
      await writeFile(file, Buffer.from(await (await zipOf(packFiles)).arrayBuffer()));
      const out = { stdout: '', stderr: '' };
      const code = await run(['--url', env.url, '--key', env.adminKey, 'import', file, '--accept', 'all'], {
        stdout: { write: (chunk: string) => (out.stdout += chunk) },
        stderr: { write: (chunk: string) => (out.stderr += chunk) },
        env: {},
      });
      expect(code).toBe(0);
      expect(out.stderr).toMatch(/^uploading acme-rules\.zip \(/);
      expect(out.stdout).toContain('acme-rules: 2 of 3 file(s) compile, 6 rule(s), 1 flagged');
      expect(out.stdout).toContain('does not compile: acme-rules/broken/unknown-module.yar (line 2:');
      expect(out.stdout).toContain(
        'acme-rules/malware/generic:Vendor_Tool  clean_corpus_hits: 1 clean file(s), e.g. vendor-tool.txt',
      );
      // the database holds version 2 of the pack (the test before): the report says what accepting takes out
      expect(out.stdout).toContain(
        'replaces acme-rules in default version 3 (2 file(s)); accepting takes out 1 of them',
      );
      expect(out.stdout).toContain('  takes out acme-rules-2.0/malware/fresh.yar: not in this import');
      const changeId = /accepted \(all\) as signature change ([0-9a-f-]{36})/.exec(out.stderr)?.[1];
      expect(changeId).toBeDefined();

      // accepted with its flagged rule, the pack detects a clean file: the proof says so and names the change
      const change = await validated(changeId!);
      expect(change.status).toBe('validation_failed');
      const clean = change.report.checks.find((c: any) => c.check === 'clean_corpus');
      expect(clean).toMatchObject({
        passed: false,
        summary: expect.stringMatching(/^1 of \d+ clean file\(s\) detected$/),
      });
      expect(clean.evidence[0].rules).toEqual([
        expect.objectContaining({ rule: 'acme-rules/malware/generic:Vendor_Tool' }),
      ]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("takes a pack from an admin's session, as the web console sends it, with the session's CSRF token", async () => {
    const person = await invitePerson(env, smtp, {
      email: `elena.${randomBytes(4).toString('hex')}@sigdesk.example`,
      displayName: 'Elena Martín',
      role: 'admin',
    });
    const form = () => {
      const body = new FormData();
      body.append('pack', new Blob(['rule Session_Upload { condition: false }']), 'session-rules.yar');
      return body;
    };
    const forged = await person.session.request('POST', '/v1/admin/rulesets/import', {
      form: form(),
      withoutCsrf: true,
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toBe('csrf_invalid');

    const created = await person.session.request('POST', '/v1/admin/rulesets/import', { form: form() });
    expect(created.status).toBe(202);
    // the uploader is the person, an actor as an API key is
    expect(created.body).toMatchObject({ packName: 'session-rules', createdBy: person.id });
    const listed = await person.session.get('/v1/admin/rulesets/imports');
    expect(listed.body.items.filter((i: any) => i.packName === 'session-rules')).toHaveLength(1);
    await analysed(created.body.id);
  });

  it('refuses what is not a pack, and uploads without a pack', async () => {
    const garbage = await upload(new Blob([randomBytes(2048)]), 'rules.yar');
    expect(garbage.status).toBe(422);
    expect(garbage.body.error).toEqual(expect.any(String));
    const empty = await upload(await zipOf({ 'docs/readme.txt': 'nothing here' }), 'empty.zip');
    expect(empty.status).toBe(422);
    expect(empty.body.error).toBe('empty_pack');

    const form = new FormData();
    form.append('channel', 'default');
    expect((await admin.upload('/v1/admin/rulesets/import', form)).body.error).toBe('pack_required');
    const badChannel = await upload(new Blob(['rule a { condition: true }']), 'a.yar', { channel: '../etc' });
    expect(badChannel.status).toBe(400);
    for (const packName of ['../etc', '..', 'a b', 'x'.repeat(65)]) {
      const badName = await upload(new Blob(['rule a { condition: true }']), 'a.yar', { packName });
      expect([packName, badName.status, badName.body.error]).toEqual([packName, 400, 'invalid_input']);
    }
    expect((await upload(new Blob(['rule a { condition: true }']), 'a.yar', {}, analyst)).status).toBe(403);
    expect((await admin.get('/v1/admin/rulesets/imports/not-a-uuid')).status).toBe(400);
    expect((await admin.post(`/v1/admin/rulesets/imports/${randomUUID()}/accept`, { rules: 'all' })).status).toBe(404);
  });

  it('fails nothing but the file that refuses an include', async () => {
    const created = await upload(
      new Blob(['include "other.yar"\nrule Includes { condition: true }\n']),
      'includes.yar',
    );
    expect(created.status).toBe(202);
    const report = await analysed(created.body.id);
    expect(report.files[0]).toMatchObject({ compiled: false, errors: [expect.objectContaining({ line: 1 })] });
    expect(report.files[0].errors[0].message).toMatch(/include/i);
    const accepting = await admin.post(`/v1/admin/rulesets/imports/${created.body.id}/accept`, { rules: 'all' });
    expect(accepting.status).toBe(422);
    expect(accepting.body.error).toBe('nothing_to_accept');
  });
});
