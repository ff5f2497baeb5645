import { verifyFiles, verifyManifest, BuildsRepository, DatabaseBuilder } from '@sigdesk/builds';
import { loadYaraX, YARA_X_VERSION } from '@sigdesk/detection';
import {
  ApiClient,
  eventually,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
  validatedChange as validatedChangeFor,
} from '@sigdesk/testing';

describe('database builds', () => {
  let env: TestEnvironment;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;
  let release: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ env: { SIGDESK_EXPEDITED_WINDOW_SECONDS: '2' } });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start' });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
    release = await seedKey(env, 'release');
  });
  afterAll(async () => {
    await env?.close();
  });

  const validatedChange = (customer: SeededCustomer, name: string) => validatedChangeFor(env, customer, author, name);

  it('takes an MSA Start false negative to a signed, published release and a fixed case', async () => {
    const first = await validatedChange(msa, 'Trojan_Build_First');
    const second = await validatedChange(msa, 'Trojan_Build_Second');
    // two approvals within the window: one expedited build
    await reviewer.post(`/v1/signature-changes/${first.changeId}/approve`, {});
    await reviewer.post(`/v1/signature-changes/${second.changeId}/approve`, {});
    const builds = await eventually(
      () => release.get('/v1/database-builds'),
      (res) => res.body.items.some((b: any) => b.status === 'stored'),
    );
    const stored = builds.body.items.filter((b: any) => b.status === 'stored');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ version: 2, parentVersion: 1, kind: 'expedited' });
    expect(new Set(stored[0].changes)).toEqual(new Set([first.changeId, second.changeId]));
    // the list tells each gate's result and the cases fixed, without the report itself
    expect(stored[0].gates).toEqual(
      expect.arrayContaining([
        { check: 'compiles', passed: true },
        { check: 'clean_corpus', passed: true },
      ]),
    );
    expect(stored[0].gates.every((gate: any) => gate.passed)).toBe(true);
    expect(stored[0].cases.map((c: any) => c.id).sort()).toEqual([first.caseId, second.caseId].sort());
    expect(stored[0].cases[0]).toMatchObject({ reference: expect.stringMatching(/^SD-/), tier: 'msa_start' });
    expect(stored[0].durationMs).toBeGreaterThan(0);
    expect(stored[0]).not.toHaveProperty('report');

    const detail = await release.get('/v1/database-builds/2');
    // what publishing it will do: both cases become fixed
    expect(detail.body.casesClosedByPublishing.map((c: any) => c.id).sort()).toEqual(
      [first.caseId, second.caseId].sort(),
    );
    expect(detail.body.gates).toEqual(stored[0].gates);
    expect(detail.body.delta).toEqual({
      rules: {
        added: ['Trojan_Build_First', 'Trojan_Build_Second'],
        changed: [],
        removed: [],
        counts: { added: 2, changed: 0, removed: 0 },
      },
      allowlist: { added: 0, removed: 0 },
    });
    const key = await release.get('/v1/database-builds/signing-key');
    const manifestBytes = Buffer.from(await (await fetch(detail.body.downloads['manifest.json'])).arrayBuffer());
    expect(verifyManifest(manifestBytes, detail.body.signature, key.body.publicKey)).toBe(true);
    const tampered = Buffer.from(manifestBytes.toString().replace('"version": 2', '"version": 3'));
    expect(verifyManifest(tampered, detail.body.signature, key.body.publicKey)).toBe(false);
    const manifest = JSON.parse(manifestBytes.toString());
    const files: Record<string, Buffer> = {};
    for (const file of manifest.files) {
      files[file.name] = Buffer.from(await (await fetch(detail.body.downloads[file.name])).arrayBuffer());
    }
    expect(verifyFiles(manifest, files)).toEqual([]);
    expect(files['rules.yar'].toString()).toContain(first.marker);
    // the same rules compiled, which release tooling opens with the YARA-X the manifest names, without compiling
    expect(manifest.compiledRules).toEqual({
      file: 'rules.yarc',
      engine: `@litko/yara-x-linux-x64-gnu@${YARA_X_VERSION}`,
    });
    const opened = loadYaraX().deserialize(files['rules.yarc']);
    expect(opened.scan(Buffer.from(`xx ${first.marker} xx`)).map((m) => m.ruleIdentifier)).toEqual([
      'Trojan_Build_First',
    ]);
    const delta = JSON.parse(files['delta.json'].toString());
    expect(delta.rules.added.map((r: any) => r.name).sort()).toEqual(['Trojan_Build_First', 'Trojan_Build_Second']);

    expect((await msa.client.get(`/v1/submissions/${first.caseId}`)).body.status).toBe('fix_scheduled');
    const publishes = await Promise.all([1, 2, 3].map(() => release.post('/v1/database-builds/2/publish')));
    expect(publishes.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(publishes.filter((p) => !p.body.alreadyPublished)).toHaveLength(1);
    const fixed = await msa.client.get(`/v1/submissions/${first.caseId}`);
    expect(fixed.body).toMatchObject({ status: 'fixed', fixedInDatabaseVersion: 2 });
    expect(fixed.body.timeline.filter((e: any) => e.toStatus === 'fixed')).toHaveLength(1);
    expect((await msa.client.get('/v1/databases/current')).body.version).toBe(2);
    const metrics = await new ApiClient(env.url).get<string>('/metrics');
    expect(metrics.body).toMatch(/sigdesk_fix_build_seconds\{tier="msa_start",statistic="count"\} 2/);
  });

  it('resumes an interrupted build with its version, and never gives a number twice', async () => {
    const change = await validatedChange(standard, 'Trojan_Build_Resumed');
    await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {});
    // a worker died mid-build: the build row exists, nothing stored
    await env.db
      .insertInto('database_builds')
      .values({
        channel: 'default',
        version: 3,
        parent_version: 2,
        kind: 'scheduled',
        status: 'building',
        change_ids: [change.changeId],
      })
      .execute();
    const builder = env.sigdesk.app.get(DatabaseBuilder);
    expect(await builder.build('default', 'scheduled')).toEqual({ version: 3, status: 'stored' });
    expect(await builder.build('default', 'scheduled')).toEqual({ status: 'nothing to build' });
    const versions = await env.db
      .selectFrom('database_builds')
      .select(['version', 'status'])
      .orderBy('version')
      .execute();
    expect(versions).toEqual([
      { version: 2, status: 'published' },
      { version: 3, status: 'stored' },
    ]);
  });

  it('stores nothing when a gate fails, names the change, and sends it back to its author', async () => {
    const change = await validatedChange(standard, 'Trojan_Build_Broken');
    await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {});
    // the clean corpus learns of a file the new rule matches after the change was validated
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`vendor tool ${change.marker}`)]), 'vendor-tool.bin');
    expect((await new ApiClient(env.url, env.adminKey).upload('/v1/admin/clean-corpus', form)).status).toBe(201);
    const result = await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled');
    expect(result).toEqual({ version: 4, status: 'failed' });
    const failed = await release.get('/v1/database-builds/4');
    expect(failed.body).toMatchObject({
      status: 'failed',
      failure: { gate: 'clean_corpus', changeIds: [change.changeId] },
      cases: [{ id: change.caseId }],
      casesClosedByPublishing: [],
      delta: null,
    });
    expect(failed.body.gates).toContainEqual({ check: 'clean_corpus', passed: false });
    expect(failed.body.downloads).toEqual({});
    const returned = await author.get(`/v1/signature-changes/${change.changeId}`);
    expect(returned.body).toMatchObject({
      status: 'validation_failed',
      decisionNote: expect.stringContaining('clean_corpus'),
    });
    expect((await standard.client.get(`/v1/submissions/${change.caseId}`)).body.status).toBe('confirmed');
    expect(await env.store.head('builds/default/4/manifest.json')).toBeNull();

    // the failed build keeps its number: the next one is 5
    const next = await validatedChange(standard, 'Trojan_Build_After_Failure');
    await reviewer.post(`/v1/signature-changes/${next.changeId}/approve`, {});
    expect(await env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled')).toEqual({
      version: 5,
      status: 'stored',
    });
  });

  it('refuses to publish out of order, and keeps publishing to release tooling', async () => {
    expect((await release.post('/v1/database-builds/5/publish')).status).toBe(200);
    const older = await release.post('/v1/database-builds/3/publish');
    expect(older.status).toBe(409);
    expect(older.body.error).toBe('release_out_of_order');
    expect((await author.post('/v1/database-builds/5/publish')).status).toBe(403);
    expect((await release.post('/v1/database-builds/4/publish')).body.error).toBe('build_not_stored');
  });
});

describe('versions of a database channel', () => {
  let env: TestEnvironment;
  let admin: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    admin = new ApiClient(env.url, env.adminKey);
    await seedRelease(env, 1);
  });
  afterAll(async () => {
    await env?.close();
  });

  const baseline = (version: number, channel?: string) =>
    admin.post('/v1/admin/database-releases', { channel, version, releasedAt: new Date().toISOString() });

  it('refuses a baseline release whose version a build of the channel already took, or a lower one', async () => {
    // a stored build, not published yet, and a failed one: both took their numbers for good
    await env.db
      .insertInto('database_builds')
      .values([
        { channel: 'default', version: 3, parent_version: 1, kind: 'expedited', status: 'stored', change_ids: [] },
        { channel: 'default', version: 4, parent_version: 3, kind: 'scheduled', status: 'failed', change_ids: [] },
      ])
      .execute();
    for (const version of [2, 3, 4]) {
      const refused = await baseline(version);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'version_not_newer', channel: 'default', newestVersion: 4 });
    }
    expect((await baseline(4, 'beta')).status).toBe(201);
    expect((await baseline(5)).status).toBe(201);
    expect((await admin.get('/v1/databases/current')).body.version).toBe(5);
  });

  it('registers a baseline only once a build or publish holding the channel is done', async () => {
    const builds = env.sigdesk.app.get(BuildsRepository);
    let answered = false;
    let pending: Promise<{ status: number }> | undefined;
    await builds.transaction(async (trx) => {
      await builds.lockChannel(trx, 'default');
      pending = baseline(6).then((res) => {
        answered = true;
        return res;
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(answered).toBe(false);
    });
    expect((await pending!).status).toBe(201);
  });
});
