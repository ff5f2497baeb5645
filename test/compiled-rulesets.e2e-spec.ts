import { createHash } from 'node:crypto';
import { YARA_X_VERSION } from '@sigdesk/detection';
import {
  CompiledOutcome,
  CompiledRulesets,
  ContentRepository,
  ContentRule,
  ruleRevision,
  rulesHash,
  ScanVerdictsRepository,
  SignatureEngine,
} from '@sigdesk/signatures';
import { ReleasesRepository } from '@sigdesk/releases';
import { ObjectCache, StorageKeys } from '@sigdesk/storage';
import { startTestEnvironment, TestEnvironment } from '@sigdesk/testing';
import { anotherProcess as anotherProcessOf } from './support/compiled-rulesets';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Rules of their own for each test: the record of one test is not another's. */
function rules(tag: string): ContentRule[] {
  return [
    ruleRevision(`Marker_${tag}`, `rule Marker_${tag} { strings: $a = "marker-${tag}" condition: $a }`),
    ruleRevision(`Other_${tag}`, `rule Other_${tag} { strings: $a = "other-${tag}" condition: $a }`),
  ];
}

describe('rulesets compiled once for every process', () => {
  let env: TestEnvironment;
  const instances: CompiledRulesets[] = [];

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.onApplicationShutdown()));
    await env?.close();
  });

  /** What another process has: the same database and bucket, no compiled ruleset in memory. */
  const anotherProcess = () => anotherProcessOf(env, instances);

  /** Uses the ruleset and scans `text` with it: what it says of its rules, and the rules that matched. */
  async function scanWith(instance: CompiledRulesets, content: ContentRule[], text: string) {
    return instance.use(content, async (compiled: CompiledOutcome) => {
      const result = await compiled.ruleset!.scanBuffer(Buffer.from(text));
      return { compiled, matched: result.matches.map((m) => m.rule) };
    });
  }

  async function recordOf(content: ContentRule[]) {
    return env.db
      .selectFrom('compiled_rulesets')
      .selectAll()
      .where('rules_hash', '=', rulesHash(content))
      .where('engine', '=', YARA_X_VERSION)
      .executeTakeFirst();
  }

  it('stores the compiled form of a ruleset under its SHA-256, which another process opens instead of compiling', async () => {
    const content = rules('a');

    const first = await scanWith(anotherProcess(), content, 'xx marker-a xx');

    expect(first.compiled.opened).toBeUndefined();
    expect(first.matched).toEqual(['Marker_a']);
    const record = await recordOf(content);
    expect(record).toMatchObject({ rule_count: 2, rule_names: ['Marker_a', 'Other_a'] });
    const stored = await env.store.getBuffer(StorageKeys.compiledRules(record!.sha256));
    expect(sha256(stored)).toBe(record!.sha256);
    expect(stored.length).toBe(Number(record!.size));

    const second = await scanWith(anotherProcess(), content, 'xx other-a xx');

    expect(second.compiled).toMatchObject({
      ok: true,
      opened: true,
      ruleNames: ['Marker_a', 'Other_a'],
      compiled: { sha256: record!.sha256 },
    });
    expect(second.matched).toEqual(['Other_a']);
  });

  it('keeps the warnings of the compile with the compiled form', async () => {
    const content = [ruleRevision('Slow_w', 'rule Slow_w { strings: $a = { 01 } condition: $a }')];

    const first = await scanWith(anotherProcess(), content, '\x01');
    const second = await scanWith(anotherProcess(), content, '\x01');

    expect(first.compiled.warnings.map((w) => w.code)).toEqual(['slow_pattern']);
    expect(second.compiled.opened).toBe(true);
    expect(second.compiled.warnings).toEqual(first.compiled.warnings);
  });

  it('compiles from the source, and records again, when the stored compiled rules were altered', async () => {
    const content = rules('b');
    await scanWith(anotherProcess(), content, '');
    const record = await recordOf(content);
    // other rules' compiled form under this one's key: YARA-X would open it and detect other things
    const planted = rules('planted');
    await scanWith(anotherProcess(), planted, '');
    const plantedRecord = await recordOf(planted);
    await env.store.put(
      StorageKeys.compiledRules(record!.sha256),
      await env.store.getBuffer(StorageKeys.compiledRules(plantedRecord!.sha256)),
    );

    const after = await scanWith(anotherProcess(), content, 'marker-b marker-planted');

    expect(after.compiled.opened).toBeUndefined();
    expect(after.matched).toEqual(['Marker_b']);
    expect(await recordOf(content)).toMatchObject({ rule_count: 2 });
  });

  it('keeps what a ruleset found in each file for every process: another scans none of them again', async () => {
    const app = env.sigdesk.app;
    const content = rules('v');
    const versioned = { channel: 'test', version: null, content: { rules: content, allowlist: [] } };
    const files = await Promise.all(
      ['clean', 'has marker-v', 'has other-v'].map(async (text) => {
        const bytes = Buffer.from(text);
        const key = `test-objects/${sha256(bytes)}`;
        await env.store.put(key, bytes);
        return { file: text, sha256: sha256(bytes), storageKey: key };
      }),
    );
    const engineOf = (rulesets: CompiledRulesets) =>
      new SignatureEngine(
        app.get(ContentRepository),
        app.get(ReleasesRepository),
        rulesets,
        app.get(ObjectCache),
        app.get(ScanVerdictsRepository),
      );
    const first = anotherProcess();
    const verdicts = await first.use(content, (compiled) =>
      engineOf(first).scanAll(versioned, compiled.ruleset!, files, { timeoutMs: 10_000 }),
    );
    expect(verdicts.map((v) => [v.rules, v.remembered])).toEqual([
      [[], false],
      [['Marker_v'], false],
      [['Other_v'], false],
    ]);

    // another process, its ruleset closed: a scan would fail, so every verdict is read
    const second = anotherProcess();
    const again = await second.use(content, async (compiled) => {
      await compiled.ruleset!.close();
      return engineOf(second).scanAll(versioned, compiled.ruleset!, files, { timeoutMs: 10_000 });
    });
    expect(again.map((v) => [v.rules, v.remembered])).toEqual([
      [[], true],
      [['Marker_v'], true],
      [['Other_v'], true],
    ]);
    expect(again.map((v) => v.cpuMillis)).toEqual(verdicts.map((v) => v.cpuMillis));
  });

  it('keeps verdicts apart for the same bytes under names a rule tells apart (its external variables)', async () => {
    const app = env.sigdesk.app;
    const content = [ruleRevision('Vbs_n', 'rule Vbs_n { condition: extension == ".vbs" }')];
    const versioned = { channel: 'test', version: null, content: { rules: content, allowlist: [] } };
    const bytes = Buffer.from('the same bytes under two names');
    const key = `test-objects/${sha256(bytes)}`;
    await env.store.put(key, bytes);
    const target = (name: string) => ({ file: name, sha256: sha256(bytes), storageKey: key, name });
    const engine = () =>
      new SignatureEngine(
        app.get(ContentRepository),
        app.get(ReleasesRepository),
        anotherProcess(),
        app.get(ObjectCache),
        app.get(ScanVerdictsRepository),
      );
    const scanNames = (names: string[]) => {
      const instance = engine();
      return instance.withCompiled(versioned, (compiled) =>
        instance.scanAll(versioned, compiled.ruleset!, names.map(target), { timeoutMs: 10_000 }),
      );
    };

    const first = await scanNames(['a.vbs', 'a.txt']);
    const second = await scanNames(['b.txt', 'a.vbs', 'a.txt']);

    expect(first.map((v) => [v.detected, v.remembered])).toEqual([
      [true, false],
      [false, false],
    ]);
    expect(second.map((v) => [v.detected, v.remembered])).toEqual([
      [false, false],
      [true, true],
      [false, true],
    ]);
  });

  it('records nothing for rules that do not compile', async () => {
    const content = [ruleRevision('Broken_c', 'rule Broken_c { condition: nope }')];

    const outcome = await anotherProcess().use(content, async (compiled) => compiled);

    expect(outcome.ok).toBe(false);
    expect(await recordOf(content)).toBeUndefined();
  });
});
