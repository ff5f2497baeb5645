import { createHash, randomBytes } from 'node:crypto';
import { YARA_X_VERSION } from '@sigdesk/detection';
import {
  CompiledOutcome,
  CompiledRulesets,
  CompiledRulesetsRepository,
  CompiledRulesetsSweeper,
  ContentRepository,
  ContentRule,
  FileReport,
  PackSummary,
  RulePacksRepository,
  ruleRevision,
  rulesHash,
  ScanVerdictsPruner,
  ScanVerdictsRepository,
  SignatureEngine,
  UnacceptedRulePackSweeper,
} from '@sigdesk/signatures';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { ApiClient, seedRelease, startTestEnvironment, TestEnvironment } from '@sigdesk/testing';
import { anotherProcess as anotherProcessOf } from './support/compiled-rulesets';

const DAY_MS = 86_400_000;

/** Rules of their own for each ruleset of a test. */
function rules(tag: string): ContentRule[] {
  return [
    ruleRevision(`Marker_${tag}`, `rule Marker_${tag} { strings: $a = "marker-${tag}" condition: $a }`),
    ruleRevision(`Other_${tag}`, `rule Other_${tag} { strings: $a = "other-${tag}" condition: $a }`),
  ];
}

describe(UnacceptedRulePackSweeper.name, () => {
  let env: TestEnvironment;
  let admin: ApiClient;
  let createdBy: string;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_RULE_PACK_RETENTION_DAYS: '30' } });
    await seedRelease(env, 1);
    admin = new ApiClient(env.url, env.adminKey);
    createdBy = (await env.db.selectFrom('api_keys').select('id').where('role', '=', 'admin').executeTakeFirstOrThrow())
      .id;
  });
  afterAll(async () => {
    await env?.close();
  });

  /** An import of one file, its analysis ended as `outcome` (or still running). */
  async function importPack(outcome: 'analysed' | 'failed' | 'analysing'): Promise<string> {
    const packs = env.sigdesk.app.get(RulePacksRepository);
    const tag = randomBytes(4).toString('hex');
    const text = `rule Pack_${tag} { strings: $a = "pack-${tag}" condition: $a }`;
    const row = await env.db.transaction().execute((trx) =>
      packs.insert(trx, {
        channel: 'default',
        packName: `pack-${tag}`,
        fileName: `pack-${tag}.yar`,
        format: 'yara',
        bytes: text.length,
        sha256: createHash('sha256').update(text).digest('hex'),
        skipped: [],
        createdBy,
        files: [{ path: `pack-${tag}.yar`, namespace: `pack_${tag}`, text }],
      }),
    );
    if (outcome === 'failed') await packs.finish(row.id, { error: 'the analysis failed' });
    if (outcome === 'analysed') {
      const report = {
        compiled: true,
        errors: [],
        warnings: [],
        rules: [{ name: `Pack_${tag}`, private: false, flagged: [] }],
        profile: null,
      };
      // the summary's figures play no part here
      const summary = { files: 1 } as unknown as PackSummary;
      await packs.finish(row.id, { summary, files: new Map([[0, report as unknown as FileReport]]) });
    }
    return row.id;
  }

  /** As if the import's analysis had ended `days` ago. */
  async function age(ids: string[], days: number) {
    await env.db
      .updateTable('rule_pack_imports')
      .set({ updated_at: new Date(Date.now() - days * DAY_MS) })
      .where('id', 'in', ids)
      .execute();
  }

  const fileCount = async (id: string) =>
    Number(
      (
        await env.db
          .selectFrom('rule_pack_files')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('import_id', '=', id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('deletes imports not accepted within the retention period with their files, and keeps the rest', async () => {
    const oldAnalysed = await importPack('analysed');
    const oldFailed = await importPack('failed');
    const oldAccepted = await importPack('analysed');
    const accepted = await admin.post(`/v1/admin/rulesets/imports/${oldAccepted}/accept`, { rules: 'all' });
    expect(accepted.status).toBe(202);
    const stillAnalysing = await importPack('analysing');
    const freshAnalysed = await importPack('analysed');
    await age([oldAnalysed, oldFailed, oldAccepted, stillAnalysing], 31);
    expect(await fileCount(oldAnalysed)).toBe(1);

    const sweeper = env.sigdesk.app.get(UnacceptedRulePackSweeper);
    expect(await sweeper.sweep()).toEqual({ scanned: 2, deleted: 2 });

    for (const id of [oldAnalysed, oldFailed]) {
      expect((await admin.get(`/v1/admin/rulesets/imports/${id}`)).status).toBe(404);
      expect(await fileCount(id)).toBe(0);
    }
    // an import deleted can no longer be accepted
    expect((await admin.post(`/v1/admin/rulesets/imports/${oldAnalysed}/accept`, { rules: 'all' })).status).toBe(404);
    // the accepted import is the content of its change: its files keep their accepted text and their report
    const kept = await admin.get(`/v1/admin/rulesets/imports/${oldAccepted}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: 'accepted', changeId: accepted.body.id });
    expect(kept.body.files).toEqual([expect.objectContaining({ accepted: true, compiled: true })]);
    const change = await admin.get(`/v1/signature-changes/${accepted.body.id}`);
    expect(change.body.rulePack).toMatchObject({ id: oldAccepted });
    for (const id of [stillAnalysing, freshAnalysed]) {
      expect((await admin.get(`/v1/admin/rulesets/imports/${id}`)).status).toBe(200);
      expect(await fileCount(id)).toBe(1);
    }
    // nothing left to do: a second sweep (another worker's, say) finds nothing
    expect(await sweeper.sweep()).toEqual({ scanned: 0, deleted: 0 });
    // the fresh import goes once it is past the period too
    expect(await sweeper.sweep(new Date(Date.now() + 31 * DAY_MS))).toEqual({ scanned: 1, deleted: 1 });
  });

  it('keeps an import accepted while the sweep is deleting it', async () => {
    const id = await importPack('analysed');
    await age([id], 31);
    const packs = env.sigdesk.app.get(RulePacksRepository);
    const candidates = packs.unacceptedBefore.bind(packs);
    let acceptance: Promise<{ status: number }> | undefined;
    const spy = jest.spyOn(packs, 'unacceptedBefore').mockImplementation(async (...args) => {
      const found = await candidates(...args);
      // the admin accepts it after the sweep listed it, before it is deleted
      if (found.includes(id)) {
        acceptance = admin.post(`/v1/admin/rulesets/imports/${id}/accept`, { rules: 'all' });
        await acceptance;
      }
      return found;
    });
    try {
      expect(await env.sigdesk.app.get(UnacceptedRulePackSweeper).sweep()).toEqual({ scanned: 1, deleted: 0 });
    } finally {
      spy.mockRestore();
    }
    expect((await acceptance!).status).toBe(202);
    expect((await admin.get(`/v1/admin/rulesets/imports/${id}`)).body.status).toBe('accepted');
    expect(await fileCount(id)).toBe(1);
  });
});

describe(CompiledRulesetsSweeper.name, () => {
  let env: TestEnvironment;
  const instances: CompiledRulesets[] = [];

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_COMPILED_RULESETS_IDLE_DAYS: '7' } });
    await seedRelease(env, 1);
    // version 2 of the default channel, published: its content is what triage scans with, and the head
    const contents = env.sigdesk.app.get(ContentRepository);
    await env.db
      .transaction()
      .execute((trx) => contents.saveContent(trx, 'default', 2, 1, { rules: rules('live'), allowlist: [] }));
    await seedRelease(env, 2);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.onApplicationShutdown()));
    await env?.close();
  });

  /** What another process has: the same database and bucket, no compiled ruleset in memory. */
  const anotherProcess = () => anotherProcessOf(env, instances);

  const compile = (instance: CompiledRulesets, content: ContentRule[]) =>
    instance.use(content, async (compiled: CompiledOutcome) => compiled);

  const recordOf = (content: ContentRule[]) =>
    env.db
      .selectFrom('compiled_rulesets')
      .selectAll()
      .where('rules_hash', '=', rulesHash(content))
      .where('engine', '=', YARA_X_VERSION)
      .executeTakeFirst();

  async function idleFor(content: ContentRule[], days: number) {
    await env.db
      .updateTable('compiled_rulesets')
      .set({ last_used_at: new Date(Date.now() - days * DAY_MS) })
      .where('rules_hash', '=', rulesHash(content))
      .execute();
  }

  it('removes rulesets unused for the idle period, record and object, and keeps those in force and those used', async () => {
    const live = (await env.sigdesk.app.get(SignatureEngine).published('default'))!.content.rules;
    expect(live.map((r) => r.name)).toEqual(['Marker_live', 'Other_live']);
    const stale = rules('stale');
    const fresh = rules('fresh');
    for (const content of [live, stale, fresh]) await compile(anotherProcess(), content);
    await idleFor(live, 30);
    await idleFor(stale, 8);
    await idleFor(fresh, 6);
    const staleRecord = (await recordOf(stale))!;
    const staleKey = StorageKeys.compiledRules(staleRecord.sha256);
    expect(await env.store.head(staleKey)).not.toBeNull();

    const sweeper = env.sigdesk.app.get(CompiledRulesetsSweeper);
    expect(await sweeper.sweep()).toEqual({ scanned: 2, kept: 1, deleted: 1 });

    expect(await recordOf(stale)).toBeUndefined();
    expect(await env.store.head(staleKey)).toBeNull();
    for (const content of [live, fresh]) {
      const record = (await recordOf(content))!;
      expect(record).toBeDefined();
      expect(await env.store.head(StorageKeys.compiledRules(record.sha256))).not.toBeNull();
    }
    // the fresh one goes once it is idle long enough
    expect(await sweeper.sweep(new Date(Date.now() + 2 * DAY_MS))).toEqual({ scanned: 2, kept: 1, deleted: 1 });
    expect(await recordOf(fresh)).toBeUndefined();
  });

  it('compiles a removed ruleset again when a process needs it, and stores it again', async () => {
    const content = rules('again');
    const keptOpen = anotherProcess();
    const first = await compile(keptOpen, content);
    await idleFor(content, 8);
    expect((await env.sigdesk.app.get(CompiledRulesetsSweeper).sweep()).deleted).toBe(1);
    expect(await env.store.head(StorageKeys.compiledRules(first.compiled!.sha256))).toBeNull();

    // another process finds no record: it compiles (not opens) and records and stores the compiled form again
    const elsewhere = await anotherProcess().use(content, async (compiled) => {
      const scanned = await compiled.ruleset!.scanBuffer(Buffer.from('xx marker-again xx'));
      return { compiled, matched: scanned.matches.map((m) => m.rule) };
    });
    expect(elsewhere.compiled.opened).toBeUndefined();
    expect(elsewhere.matched).toEqual(['Marker_again']);
    const record = (await recordOf(content))!;
    expect(await env.store.head(StorageKeys.compiledRules(record.sha256))).not.toBeNull();

    // the process that kept the rules open learns at its next use that they were swept, and stores them again
    await idleFor(content, 8);
    await env.sigdesk.app.get(CompiledRulesetsSweeper).sweep();
    expect(await recordOf(content)).toBeUndefined();
    keptOpen.touchEveryMs = 0;
    const again = await compile(keptOpen, content);
    expect(again).not.toBe(first);
    expect(again.ok).toBe(true);
    const stored = (await recordOf(content))!;
    expect(await env.store.head(StorageKeys.compiledRules(stored.sha256))).not.toBeNull();
    // and a ruleset it keeps open and uses is marked used: the sweep leaves it alone
    await idleFor(content, 8);
    expect(await compile(keptOpen, content)).toBe(again);
    expect((await recordOf(content))!.last_used_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await env.sigdesk.app.get(CompiledRulesetsSweeper).sweep()).toMatchObject({ deleted: 0 });
  });

  it('forgets a record used while its object was being removed, so that nobody opens a missing object', async () => {
    const content = rules('raced');
    await compile(anotherProcess(), content);
    await idleFor(content, 8);
    const store = env.sigdesk.app.get(ObjectStore);
    const records = env.sigdesk.app.get(CompiledRulesetsRepository);
    const remove = store.delete.bind(store);
    const spy = jest.spyOn(store, 'delete').mockImplementation(async (key, ...rest) => {
      // a process opens the ruleset after the sweep checked it, before the record goes
      await records.find(rulesHash(content), YARA_X_VERSION);
      return remove(key, ...rest);
    });
    try {
      // the published ruleset is idle too, and kept
      expect(await env.sigdesk.app.get(CompiledRulesetsSweeper).sweep()).toEqual({ scanned: 2, kept: 1, deleted: 0 });
    } finally {
      spy.mockRestore();
    }
    expect(await recordOf(content)).toBeUndefined();
    const after = await compile(anotherProcess(), content);
    expect(after.opened).toBeUndefined();
    expect(await recordOf(content)).toBeDefined();
  });
});

describe(ScanVerdictsPruner.name, () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_COMPILED_RULESETS_IDLE_DAYS: '7' } });
    await seedRelease(env, 1);
  });
  afterAll(async () => {
    await env?.close();
  });

  const scan = { rules: [], offsets: {}, millis: 1, cpuMillis: 1 };
  const files = (count: number) =>
    Array.from({ length: count }, () => ({ sha256: randomBytes(32).toString('hex'), context: '', scan }));

  const verdictCount = async (hash: string) =>
    Number(
      (
        await env.db
          .selectFrom('scan_verdicts')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('rules_hash', '=', hash)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('deletes the verdicts of rules no longer compiled anywhere once old, and keeps those still usable', async () => {
    const verdicts = env.sigdesk.app.get(ScanVerdictsRepository);
    const records = env.sigdesk.app.get(CompiledRulesetsRepository);
    // the published content of the channel (the base ruleset): triage reads its verdicts whatever their age
    const inForce = rulesHash((await env.sigdesk.app.get(SignatureEngine).published('default'))!.content.rules);
    const swept = rulesHash(rules('swept'));
    const recorded = rulesHash(rules('recorded'));
    const young = rulesHash(rules('young'));
    for (const hash of [inForce, swept, recorded, young]) await verdicts.remember(hash, files(3));
    await verdicts.remember(swept, files(1));
    await records.record({
      rulesHash: recorded,
      engine: YARA_X_VERSION,
      sha256: randomBytes(32).toString('hex'),
      size: 1,
      ruleNames: ['Marker_recorded'],
      warnings: [],
      compileMillis: 1,
    });
    await env.db
      .updateTable('scan_verdicts')
      .set({ created_at: new Date(Date.now() - 8 * DAY_MS) })
      .where('rules_hash', 'in', [inForce, swept, recorded])
      .execute();
    // one verdict of the swept rules is recent (a process scanning with rules it could not store, say)
    const recent = files(1);
    await verdicts.remember(swept, recent);

    const pruner = env.sigdesk.app.get(ScanVerdictsPruner);
    expect(await pruner.prune()).toEqual({ rulesets: 4, deleted: 4 });

    expect(await verdictCount(swept)).toBe(1);
    expect((await verdicts.known(swept, recent)).size).toBe(1);
    expect(await verdictCount(inForce)).toBe(3);
    expect(await verdictCount(recorded)).toBe(3);
    expect(await verdictCount(young)).toBe(3);
    expect(await pruner.prune()).toEqual({ rulesets: 4, deleted: 0 });
    // once its record is gone too, the recorded rules' verdicts go
    await env.db.deleteFrom('compiled_rulesets').where('rules_hash', '=', recorded).execute();
    expect(await pruner.prune()).toEqual({ rulesets: 4, deleted: 3 });
    expect(await verdictCount(recorded)).toBe(0);
  });
});
