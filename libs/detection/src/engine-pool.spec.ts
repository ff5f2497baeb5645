import { readFileSync, readlinkSync } from 'node:fs';
import { engineProcesses, processRunning as running } from '@sigdesk/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMPILER_OPTIONS } from './compiled-ruleset';
import { EnginePool } from './engine-pool';
import { EngineProcess, type EngineSettings } from './engine-process';
import { compileRuleset } from './ruleset';
import { ScanTimeoutError } from './scan-errors';

const LIMIT = 3 * 1024 * 1024 * 1024;

const LOOP_RULE =
  'rule Loop { condition: for any i in (0..filesize) : (for any j in (0..filesize) : (for any k in (0..filesize) : (' +
  'uint8(i) == uint8(j) + uint8(k) + 1))) }';

const settings = (overrides: Partial<EngineSettings> = {}): EngineSettings => ({
  source: 'rule A { strings: $a = "abc" condition: $a }',
  compilerOptions: COMPILER_OPTIONS,
  maxMatchesPerPattern: 10,
  buildTimeoutMs: 30_000,
  memoryLimitBytes: LIMIT,
  ...overrides,
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe(EnginePool.name, () => {
  let pool: EnginePool;

  afterEach(async () => {
    await pool?.close();
  });

  it('starts nothing before its first build, then keeps `size` spares, each building once and never reused', async () => {
    pool = new EnginePool({ size: 2, memoryLimitBytes: LIMIT });
    await sleep(200);
    expect(pool.sparePids).toEqual([]);

    const first = pool.engine(settings());
    await expect(first.built).resolves.toMatchObject({ kind: 'built' });
    first.kill();
    await until(() => pool.sparePids.length === 2);
    const spares = pool.sparePids;
    expect(spares.every(running)).toBe(true);

    const second = pool.engine(settings({ source: 'rule B { condition: filesize > 1 }' }));
    expect(second.pid).toBe(spares[0]);
    await expect(second.built).resolves.toMatchObject({ kind: 'built' });
    await expect(second.scan({ data: Buffer.from('xy') })).resolves.toMatchObject({ matches: [{ rule: 'B' }] });
    // its replacement comes once the build is over; the process that built is not handed out again
    await until(() => pool.sparePids.length === 2);
    expect(pool.sparePids).not.toContain(second.pid);
    expect(pool.sparePids).toContain(spares[1]);
    second.kill();
    await second.gone;
    expect(running(spares[0])).toBe(false);
  });

  it('replaces a spare killed while it waits, and the replacement builds', async () => {
    pool = new EnginePool({ size: 1, memoryLimitBytes: LIMIT });
    const first = pool.engine(settings());
    await first.built;
    first.kill();
    await until(() => pool.sparePids.length === 1);
    const [victim] = pool.sparePids;

    process.kill(victim, 'SIGKILL');
    await until(() => pool.sparePids.length === 1 && pool.sparePids[0] !== victim);

    expect(running(victim)).toBe(false);
    const engine = pool.engine(settings());
    await expect(engine.built).resolves.toMatchObject({ kind: 'built' });
    engine.kill();
  });

  it('gives a spare the limits of a process of its own: the data limit, the build timeout, the scan timeout', async () => {
    pool = new EnginePool({ size: 1, memoryLimitBytes: LIMIT });
    const warmUp = pool.engine(settings());
    await warmUp.built;
    warmUp.kill();
    await until(() => pool.sparePids.length === 1);
    const [spare] = pool.sparePids;
    // prlimit sets the limit, then runs node in its place
    await until(() => readlinkSync(`/proc/${spare}/exe`) === process.execPath);
    expect(readFileSync(`/proc/${spare}/limits`, 'utf8')).toMatch(/^Max data size\s+3221225472\s+3221225472\s+bytes/m);

    const late = pool.engine(settings({ buildTimeoutMs: 1 }));
    expect(late.pid).toBe(spare);
    await expect(late.built).resolves.toEqual({ kind: 'timed_out', timeoutMs: 1 });
    await late.gone;

    await until(() => pool.sparePids.length === 1);
    const compiled = await compileRuleset([{ name: 'loop', source: LOOP_RULE }], {
      engines: pool,
      memoryLimitBytes: LIMIT,
    });
    expect(compiled.ok).toBe(true);
    const engine = compiled.ruleset?.enginePid as number;
    const started = Date.now();
    await expect(compiled.ruleset?.scanBuffer(Buffer.alloc(4096), { timeoutMs: 300 })).rejects.toBeInstanceOf(
      ScanTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(running(engine)).toBe(false);
    await compiled.ruleset?.close();
  });

  it('starts a process of its own for a build with another data limit', async () => {
    pool = new EnginePool({ size: 1, memoryLimitBytes: LIMIT });
    const first = pool.engine(settings());
    await first.built;
    first.kill();
    await until(() => pool.sparePids.length === 1);
    const [spare] = pool.sparePids;

    const other = pool.engine(settings({ memoryLimitBytes: null }));

    expect(other.pid).not.toBe(spare);
    expect(pool.sparePids).toEqual([spare]);
    await expect(other.built).resolves.toMatchObject({ kind: 'built' });
    other.kill();
  });

  it('a spare refuses a second build and one of another data limit', () => {
    const spare = EngineProcess.spare({ memoryLimitBytes: LIMIT });
    try {
      expect(() => spare.build(settings({ memoryLimitBytes: null }))).toThrow(/another memory limit/);
      spare.build(settings());
      expect(() => spare.build(settings())).toThrow(/has its rules already/);
    } finally {
      spare.kill();
    }
  });

  it('leaves no engine process behind once closed, and builds in processes of their own afterwards', async () => {
    pool = new EnginePool({ size: 2, memoryLimitBytes: LIMIT });
    const first = pool.engine(settings());
    await first.built;
    first.kill();
    await first.gone;
    await until(() => pool.sparePids.length === 2);
    const spares = pool.sparePids;

    await pool.close();

    expect(spares.some(running)).toBe(false);
    expect(engineProcesses()).toEqual([]);
    const after = pool.engine(settings());
    await expect(after.built).resolves.toMatchObject({ kind: 'built' });
    after.kill();
    await after.gone;
    await sleep(200);
    expect(pool.sparePids).toEqual([]);
    expect(engineProcesses()).toEqual([]);
  });
});
