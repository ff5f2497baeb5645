import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMPILER_OPTIONS } from './compiled-ruleset';
import { EngineProcess, type EngineSettings } from './engine-process';
import { ENGINE_SCRIPT } from './engine-script';
import { YARA_X_PATH } from './yara-x';

const LOOP_RULE =
  'rule Loop { condition: for any i in (0..filesize) : (for any j in (0..filesize) : (for any k in (0..filesize) : (' +
  'uint8(i) == uint8(j) + uint8(k) + 1))) }';

/**
 * A parent of the engine's own, in plain JavaScript (argv: the engine script, the path of @litko/yara-x, the rule):
 * it starts a scan that runs for hours, then prints the engine's pid.
 */
const PARENT_SCRIPT = `
const { spawn } = require('node:child_process');
const [, script, yaraPath, source] = process.argv;
const engine = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' });
engine.on('message', (message) => {
  if (message.type !== 'built') return;
  engine.send({ type: 'scan-buffer', id: 1, bytes: 65536 });
  engine.send({ type: 'chunk', data: Buffer.alloc(65536) }, () => setTimeout(() => console.log(engine.pid), 200));
});
engine.send({ type: 'build', yaraPath, source, compilerOptions: {}, maxMatchesPerPattern: 1 });
`;

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const settings = (overrides: Partial<EngineSettings> = {}): EngineSettings => ({
  source: 'rule A { condition: filesize > 0 }',
  compilerOptions: COMPILER_OPTIONS,
  maxMatchesPerPattern: 10,
  buildTimeoutMs: 30_000,
  memoryLimitBytes: null,
  ...overrides,
});

describe(EngineProcess.name, () => {
  it('builds the rules, and its process is gone once killed', async () => {
    const sut = new EngineProcess(settings());

    await expect(sut.built).resolves.toMatchObject({ kind: 'built', warnings: [] });
    const pid = sut.pid as number;
    expect(running(pid)).toBe(true);
    sut.kill();
    await sut.gone;

    expect(sut.dead).toBe(true);
    expect(running(pid)).toBe(false);
  });

  it('ends a build YARA-X refuses as rejected, with every error, and stops its process', async () => {
    const sut = new EngineProcess(settings({ source: 'rule A { condition: tru }\nrule B { condition: fals }' }));

    const outcome = await sut.built;
    await sut.gone;

    expect(outcome).toMatchObject({
      kind: 'rejected',
      errors: [{ code: 'E009' }, { code: 'E009' }],
      failure: expect.stringContaining('unknown identifier `tru`'),
    });
  });

  it('runs its process under the data limit it is given', async () => {
    const sut = new EngineProcess(settings({ memoryLimitBytes: 3 * 1024 * 1024 * 1024 }));
    await sut.built;

    const limits = readFileSync(`/proc/${sut.pid}/limits`, 'utf8');
    sut.kill();
    await sut.gone;

    expect(limits).toMatch(/^Max data size\s+3221225472\s+3221225472\s+bytes/m);
  });

  it('has its process end when the parent dies, even in the middle of a scan', async () => {
    const parent = spawn(process.execPath, ['-e', PARENT_SCRIPT, ENGINE_SCRIPT, YARA_X_PATH, LOOP_RULE], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (data: Buffer) => resolve(Number(String(data)))),
    );
    expect(running(pid)).toBe(true);

    parent.kill('SIGKILL');
    let waitedMs = 0;
    while (running(pid) && waitedMs < 5000) {
      await sleep(100);
      waitedMs += 100;
    }

    expect(running(pid)).toBe(false);
    expect(waitedMs).toBeLessThan(2000);
  });
});
