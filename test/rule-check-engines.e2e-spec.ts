import { randomBytes } from 'node:crypto';
import {
  ApiClient,
  confirmedCase,
  engineProcesses,
  eventually,
  processRunning,
  seedCustomer,
  seedKey,
  seedRelease,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';

/**
 * The rule editor's checks (POST /v1/signature-changes/check) compile in engine processes started ahead: each
 * compiles one check's rule and goes, and none is left once sigdesk stops. Its own file: it counts every engine
 * process of this one.
 */
describe('rule check engines', () => {
  let env: TestEnvironment;
  let analyst: ApiClient;
  let caseId: string;
  let reference: string;

  beforeAll(async () => {
    env = await startTestEnvironment({ env: { SIGDESK_RULE_CHECK_ENGINES: '2' } });
    await seedRelease(env, 1);
    const customer = await seedCustomer(env, { tier: 'msa_start' });
    analyst = await seedKey(env, 'analyst');
    ({ id: caseId, reference } = await confirmedCase(env, customer, analyst, randomBytes(300)));
  });
  afterAll(async () => {
    await env?.close();
  });

  const rule = (name: string, condition = 'true') =>
    `rule ${name} { meta: case = "${reference}" condition: ${condition} }`;
  const check = (source: string) => analyst.post('/v1/signature-changes/check', { caseId, rule: source });
  const newEngines = (before: number[]) => async () => engineProcesses().filter((pid) => !before.includes(pid));

  it('starts its spares after the first check, each used for one check and replaced, a killed one too', async () => {
    // the triage of the case keeps its ruleset's engine: those were here before any check
    const before = engineProcesses();
    const first = await check(rule('First'));
    expect(first.body).toMatchObject({ ok: true, ruleName: 'First' });

    const spares = await eventually(newEngines(before), (pids) => pids.length === 2);
    expect(spares).toHaveLength(2);

    // a broken rule: the spare that compiled it goes, with its state, and another takes its place
    const broken = await check(rule('Second', 'tru'));
    expect(broken.body.ok).toBe(false);
    expect(broken.body.errors[0]).toMatchObject({ line: 1, message: expect.stringContaining('tru') });
    const afterSecond = await eventually(
      newEngines(before),
      (pids) => pids.length === 2 && pids.filter((pid) => spares.includes(pid)).length === 1,
    );
    expect(afterSecond.filter((pid) => spares.includes(pid))).toHaveLength(1);

    // a spare killed while it waits is replaced, and checks go on
    const [victim] = afterSecond;
    process.kill(victim, 'SIGKILL');
    const afterKill = await eventually(newEngines(before), (pids) => pids.length === 2 && !pids.includes(victim));
    expect(afterKill).not.toContain(victim);
    expect(processRunning(victim)).toBe(false);
    expect((await check(rule('Third'))).body).toMatchObject({ ok: true, ruleName: 'Third' });
  });

  it('keeps a hostile rule from the API: refused within the limits, then the next check answers', async () => {
    const deep = rule('Deep', `${'('.repeat(5_000)}true${')'.repeat(5_000)}`);
    const answers = await Promise.all([check(deep), check(rule('Fine'))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[0].body.errors[0].code).toBe('nesting_too_deep');
    expect(answers[1].body).toMatchObject({ ok: true });
  });

  it('leaves no engine process once sigdesk stops', async () => {
    await check(rule('Last'));
    await eventually(
      async () => engineProcesses(),
      (pids) => pids.length >= 2,
    );
    expect(engineProcesses().length).toBeGreaterThanOrEqual(2);

    await env.stop();

    expect(engineProcesses()).toEqual([]);
  });
});
