import childProcess from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { RulesetOptions } from './compiled-ruleset';
import { compileRuleset, type CompileOutcome, type RuleSource } from './ruleset';

const rule = (name: string, body = 'condition: filesize > 0'): string => `rule ${name} {\n  ${body}\n}\n`;

/** Enough distinct rules for YARA-X to take a second or more to build them. */
const MANY_RULES: RuleSource[] = Array.from({ length: 3000 }, (_, i) => ({
  name: `r${i}.yar`,
  source: rule(
    `R${i}`,
    `strings: $a = "marker-${i}-x" $h = { 4D 5A [2-4] ${(i % 256).toString(16).padStart(2, '0')} 00 }\n  condition: any of them`,
  ),
}));

/** The rule engine processes this process started (their title is set by the engine script), from /proc. */
/** Engine processes of this jest worker (an earlier test file run by the same worker may have left some closing). */
function engineProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && name.startsWith('sigdesk-yara')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Sends `signal` to the first `count` engine processes to appear, as soon as they run the engine script. */
function killEnginesAsTheyStart(signal: NodeJS.Signals, count: number): { killed: number[]; stop(): void } {
  const killed: number[] = [];
  // an engine of an earlier test may still be on its way out: it is not one of this test's
  const earlier = new Set(engineProcesses());
  const timer = setInterval(() => {
    for (const pid of engineProcesses()) {
      if (killed.length < count && !killed.includes(pid) && !earlier.has(pid)) {
        killed.push(pid);
        process.kill(pid, signal);
      }
    }
  }, 5);
  return { killed, stop: () => clearInterval(timer) };
}

describe(compileRuleset.name, () => {
  const outcomes: CompileOutcome[] = [];
  const sut = async (sources: RuleSource[], options?: RulesetOptions): Promise<CompileOutcome> => {
    const outcome = await compileRuleset(sources, options);
    outcomes.push(outcome);
    return outcome;
  };

  afterEach(async () => {
    await Promise.all(outcomes.splice(0).map((o) => o.ruleset?.close()));
  });

  it('compiles valid sources into a ruleset and lists the declared rules in order', async () => {
    const outcome = await sut([
      { name: 'one.yar', source: rule('One') },
      { name: 'two.yar', source: `// rule NotARule\n${rule('Two')}private ${rule('Three')}` },
    ]);

    expect(outcome).toMatchObject({ ok: true, errors: [], ruleNames: ['One', 'Two', 'Three'] });
    expect(outcome.ruleset?.ruleCount).toBe(3);
    expect(outcome.millis).toBeGreaterThan(0);
  });

  it('reports a syntax error in the third of three sources with its name, line and column', async () => {
    const outcome = await sut([
      { name: 'first.yar', source: rule('First') },
      { name: 'second.yar', source: `${rule('Second')}\n${rule('SecondToo')}` },
      { name: 'third.yar', source: `// third\nrule Third {\n  condition:\n    filesize > 0 annd true\n}\n` },
    ]);

    expect(outcome.ok).toBe(false);
    expect(outcome.ruleset).toBeUndefined();
    expect(outcome.errors).toEqual([
      {
        severity: 'error',
        code: 'E001',
        message: expect.stringMatching(/^syntax error: expecting .*, found `annd`$/),
        detail: expect.stringContaining('--> third.yar:4:18'),
        source: 'third.yar',
        line: 4,
        column: 18,
      },
    ]);
    expect(outcome.errors[0].detail).toContain('\n4 |     filesize > 0 annd true\n');
  });

  it('reports every error, each against its own source, rather than only the first one', async () => {
    const outcome = await sut([
      { name: 'a.yar', source: rule('A', 'condition: tru') },
      { name: 'b.yar', source: rule('B') },
      { name: 'c.yar', source: `\n\n${rule('C', 'condition: fals')}` },
    ]);

    expect(outcome.errors.map((e) => [e.code, e.source, e.line, e.column, e.message])).toEqual([
      ['E009', 'a.yar', 2, 14, 'unknown identifier `tru`: this identifier has not been declared'],
      ['E009', 'c.yar', 4, 14, 'unknown identifier `fals`: this identifier has not been declared'],
    ]);
  });

  it('renumbers the detail to the lines of the source, widening the gutter where needed', async () => {
    const outcome = await sut([
      { name: 'short.yar', source: rule('Short') },
      { name: 'long.yar', source: `${'// padding\n'.repeat(9)}${rule('Long', 'condition: tru')}` },
    ]);

    expect(outcome.errors[0].detail).toBe(
      [
        'error[E009]: unknown identifier `tru`',
        '  --> long.yar:11:14',
        '   |',
        '11 |   condition: tru',
        '   |              ^^^ this identifier has not been declared',
      ].join('\n'),
    );
  });

  it('surfaces a slow pattern as a warning on its line and still compiles', async () => {
    const outcome = await sut([
      { name: 'fast.yar', source: rule('Fast', 'strings: $a = "fast-enough"\n  condition: $a') },
      { name: 'slow.yar', source: rule('Slow', 'strings:\n    $h = { 01 }\n  condition: $h') },
    ]);

    expect(outcome.ok).toBe(true);
    expect(outcome.warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'slow_pattern',
        message: 'slow pattern: this pattern may slow down the scan',
        source: 'slow.yar',
        line: 3,
        column: 10,
      }),
    ]);
  });

  it('reports a rule name declared in two sources once, naming both sources', async () => {
    const outcome = await sut([
      { name: 'original.yar', source: `\n${rule('Dropper')}` },
      { name: 'other.yar', source: rule('Other') },
      { name: 'copy.yar', source: `${rule('Unique')}${rule('Dropper')}` },
    ]);

    expect(outcome.ok).toBe(false);
    expect(outcome.errors).toEqual([
      {
        severity: 'error',
        code: 'duplicate_rule',
        message: 'duplicate rule `Dropper`: already declared in original.yar (line 2)',
        detail: expect.stringMatching(/original\.yar at line 2 and again in copy\.yar at line 4/),
        source: 'copy.yar',
        line: 4,
        column: 6,
      },
    ]);
  });

  it('reports a rule name declared twice in one source', async () => {
    const outcome = await sut([{ name: 'twice.yar', source: `${rule('Twice')}${rule('Twice')}` }]);

    expect(outcome.errors.map((e) => e.message)).toEqual(['duplicate rule `Twice`: already declared in line 1']);
  });

  it('blames the source that leaves a comment open, even when a later source closes it', async () => {
    const outcome = await sut([
      { name: 'opens.yar', source: `${rule('Opens')}/* swallowing` },
      { name: 'closes.yar', source: `*/\n${rule('Swallowed')}` },
    ]);

    expect(outcome.ok).toBe(false);
    expect(outcome.errors[0]).toMatchObject({ code: 'unclosed_comment', source: 'opens.yar', line: 4, column: 1 });
  });

  it('blames the source that leaves a brace open rather than the next one', async () => {
    const outcome = await sut([
      { name: 'open.yar', source: 'rule Open {\n  condition: true\n' },
      { name: 'next.yar', source: rule('Next') },
    ]);

    expect(outcome.errors[0]).toMatchObject({ code: 'unbalanced_braces', source: 'open.yar' });
  });

  it('refuses include statements, which would read files of the server', async () => {
    const outcome = await sut([{ name: 'include.yar', source: `include "/etc/hostname"\n${rule('A')}` }]);

    expect(outcome.errors).toEqual([expect.objectContaining({ code: 'E044', source: 'include.yar', line: 1 })]);
  });

  it('compiles no sources into an empty ruleset', async () => {
    expect(await sut([])).toMatchObject({ ok: true, ruleNames: [], ruleset: { ruleCount: 0 } });
  });

  describe('with hostile rule text', () => {
    it('refuses a condition nested 50,000 parentheses deep with a structured error, starting no engine', async () => {
      const spawn = jest.spyOn(childProcess, 'spawn');
      try {
        const depth = 50_000;
        const outcome = await sut([
          { name: 'fine.yar', source: rule('Fine') },
          { name: 'deep.yar', source: `rule Deep {\n  condition: ${'('.repeat(depth)}true${')'.repeat(depth)}\n}` },
        ]);

        expect(outcome).toMatchObject({ ok: false, ruleNames: ['Fine', 'Deep'] });
        expect(outcome.ruleset).toBeUndefined();
        expect(outcome.errors).toContainEqual({
          severity: 'error',
          code: 'nesting_too_deep',
          message: 'the rule text nests 50000 levels deep; at most 64 are allowed',
          detail: expect.any(String),
          source: 'deep.yar',
          line: 2,
          column: 14 + 64,
        });
        expect(spawn).not.toHaveBeenCalled();
      } finally {
        spawn.mockRestore();
      }
    });

    it('compiles a rule nested just under the limit', async () => {
      const depth = 60;
      const outcome = await sut([
        { name: 'deep.yar', source: rule('Deep', `condition: ${'('.repeat(depth)}filesize > 0${')'.repeat(depth)}`) },
      ]);

      expect(outcome).toMatchObject({ ok: true, errors: [] });
      await expect(outcome.ruleset?.scanBuffer(Buffer.from('x'))).resolves.toMatchObject({
        matches: [{ rule: 'Deep' }],
      });
    });

    it('builds again in a fresh process when the engine is killed by SIGSEGV during the build', async () => {
      const killer = killEnginesAsTheyStart('SIGSEGV', 1);
      try {
        const outcome = await sut(MANY_RULES);

        expect(killer.killed).toHaveLength(1);
        expect(outcome).toMatchObject({ ok: true, errors: [] });
        expect(outcome.ruleset?.enginePid).not.toBe(killer.killed[0]);
        await expect(outcome.ruleset?.scanBuffer(Buffer.from('marker-7-x'))).resolves.toMatchObject({
          matches: [{ rule: 'R7' }],
        });
      } finally {
        killer.stop();
      }
    });

    it('answers engine_crashed, without throwing, when the engine dies again in the fresh process', async () => {
      // five times the rules: each build takes seconds, so that the killer's poll reaches both engines mid-build
      // even on a loaded machine
      const rules = Array.from({ length: 5 }, (_, copy) =>
        MANY_RULES.map((r, i) => ({ name: `${copy}-${r.name}`, source: r.source.replace(`R${i}`, `R${copy}_${i}`) })),
      ).flat();
      const earlier = new Set(engineProcesses());
      const killer = killEnginesAsTheyStart('SIGSEGV', 2);
      try {
        const outcome = await sut(rules);

        expect(killer.killed).toHaveLength(2);
        expect(outcome).toMatchObject({ ok: false, ruleNames: rules.map((r) => /rule (\w+)/.exec(r.source)![1]) });
        expect(outcome.ruleset).toBeUndefined();
        expect(outcome.errors).toEqual([
          {
            severity: 'error',
            code: 'engine_crashed',
            message: 'the rule engine crashed on this ruleset',
            detail: expect.stringMatching(/killed by SIGSEGV.*fresh process.*killed by SIGSEGV/),
          },
        ]);
        expect(engineProcesses().filter((pid) => !earlier.has(pid))).toEqual([]);
      } finally {
        killer.stop();
      }
    });

    it('answers engine_timeout when the build outlasts compileTimeoutMs, and leaves no engine behind', async () => {
      const earlier = new Set(engineProcesses());
      const outcome = await compileRuleset(MANY_RULES, { compileTimeoutMs: 100 });

      expect(outcome.errors).toEqual([
        expect.objectContaining({
          code: 'engine_timeout',
          message: 'the rule engine did not compile this ruleset within 100 ms',
        }),
      ]);
      expect(engineProcesses().filter((pid) => !earlier.has(pid))).toEqual([]);
    });

    it('answers engine_crashed, naming the failed allocation, when the build needs more than its memory limit', async () => {
      // each xor pattern stands for 512 strings: about 400 MiB of data in all
      const patterns = Array.from({ length: 5000 }, (_, i) => `$s${i} = "ab${i}cdefgh" xor(0-255) wide ascii`);
      const source = rule('Xor', `strings:\n    ${patterns.join('\n    ')}\n  condition: any of them`);

      const outcome = await sut([{ name: 'xor.yar', source }], { memoryLimitBytes: 200 * 1024 * 1024 });

      expect(outcome.errors).toEqual([
        expect.objectContaining({
          code: 'engine_crashed',
          detail: expect.stringMatching(/memory allocation of \d+ bytes failed.*memory limit of 200 MiB/),
        }),
      ]);
    });
  });
});
