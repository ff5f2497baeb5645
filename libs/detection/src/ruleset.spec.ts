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

  describe('with namespaces', () => {
    const marker = (name: string, text: string) => rule(name, `strings: $m = "${text}"\n  condition: $m`);

    it('bounds a pack file as a file of many rules, and each of its rules as one source', async () => {
      // 300 KiB of ordinary rules: more than one source may hold, well within a pack file's limit
      const many = Array.from({ length: 3_000 }, (_, i) =>
        marker(`Pack_Rule_${i}`, `pack-marker-${i}-${'x'.repeat(40)}`),
      );
      const file = many.join('\n');
      expect(Buffer.byteLength(file)).toBeGreaterThan(256 * 1024);
      const plain = await sut([{ name: 'joined.yar', source: file }]);
      expect(plain.errors.map((e) => e.code)).toEqual(['source_too_large']);
      const packed = await sut([{ name: 'pack/big.yar', namespace: 'pack/big', source: file }]);
      expect(packed.errors).toEqual([]);
      expect(packed.ruleNames).toHaveLength(3_000);
      await packed.ruleset?.close();

      const huge = marker('Huge_Rule', 'y'.repeat(300 * 1024));
      const oversized = await sut([
        { name: 'pack/huge.yar', namespace: 'pack/huge', source: `${marker('Small', 'small')}\n${huge}` },
      ]);
      expect(oversized.errors).toEqual([
        expect.objectContaining({ code: 'source_too_large', source: 'pack/huge.yar', line: 6 }),
      ]);
      expect(oversized.errors[0].message).toMatch(/^rule Huge_Rule is too large/);
    });

    it('builds the same rule names in two namespaces, each match carrying its namespace', async () => {
      const outcome = await sut([
        { name: 'plain.yar', source: marker('Dropper', 'plain') },
        { name: 'pack-a/dropper.yar', namespace: 'pack-a', source: marker('Dropper', 'alpha') },
        { name: 'pack-b/dropper.yar', namespace: 'pack-b', source: `private ${marker('Dropper', 'beta')}` },
        { name: 'pack-b/user.yar', namespace: 'pack-b', source: rule('Uses', 'condition: Dropper') },
      ]);

      expect(outcome).toMatchObject({ ok: true, errors: [] });
      expect(outcome.ruleNames).toEqual(['Dropper', 'pack-a:Dropper', 'pack-b:Dropper', 'pack-b:Uses']);
      const result = await outcome.ruleset!.scanBuffer(Buffer.from('plain alpha beta'));
      expect(result.matches.map((m) => [m.namespace, m.rule])).toEqual([
        [undefined, 'Dropper'],
        ['pack-a', 'Dropper'],
        ['pack-b', 'Uses'],
      ]);
      const onlyBeta = await outcome.ruleset!.scanBuffer(Buffer.from('beta'));
      expect(onlyBeta.matches.map((m) => [m.namespace, m.rule])).toEqual([['pack-b', 'Uses']]);
    });

    it("keeps a namespace's import and private rules to its own sources", async () => {
      const usesPe = rule('Pe', 'condition: pe.is_pe');
      const importing = { name: 'pe-pack.yar', namespace: 'pe-pack', source: `import "pe"\n${usesPe}` };

      const alone = await sut([importing, { name: 'plain.yar', source: rule('Plain') }]);
      expect(alone).toMatchObject({ ok: true, ruleNames: ['pe-pack:Pe', 'Plain'] });

      const outcome = await sut([
        importing,
        { name: 'other.yar', namespace: 'other', source: `\n${usesPe}` },
        { name: 'plain.yar', source: rule('Plain', 'condition: Pe') },
      ]);
      expect(outcome.ok).toBe(false);
      expect(outcome.errors.map((e) => [e.code, e.source, e.line, e.message])).toEqual([
        ['E009', 'other.yar', 3, 'unknown identifier `pe`: this identifier has not been declared'],
        ['E009', 'plain.yar', 2, 'unknown identifier `Pe`: this identifier has not been declared'],
      ]);
    });

    it('reports an error in the second of three namespaced sources against its name and own line', async () => {
      const outcome = await sut([
        { name: 'default.yar', source: `${rule('D1')}${rule('D2')}` },
        { name: 'first.yar', namespace: 'one', source: `${rule('A')}${rule('B')}` },
        {
          name: 'second.yar',
          namespace: 'two',
          source: `// second\n\nrule Second {\n  condition:\n    filesize > 0 annd true\n}\n`,
        },
        { name: 'third.yar', namespace: 'three', source: rule('C') },
      ]);

      expect(outcome.ok).toBe(false);
      expect(outcome.ruleset).toBeUndefined();
      expect(outcome.errors).toEqual([
        {
          severity: 'error',
          code: 'E001',
          message: expect.stringMatching(/^syntax error: expecting .*, found `annd`$/),
          detail: expect.stringContaining('--> second.yar:5:18'),
          source: 'second.yar',
          line: 5,
          column: 18,
        },
      ]);
      expect(outcome.errors[0].detail).toContain('\n5 |     filesize > 0 annd true\n');
    });

    it('lists the errors of every namespace, the sources of one namespace told apart', async () => {
      const outcome = await sut([
        { name: 'ok.yar', source: rule('Fine') },
        { name: 'one-a.yar', namespace: 'one', source: rule('A') },
        { name: 'one-b.yar', namespace: 'one', source: `\n\n${rule('B', 'condition: fals')}` },
        { name: 'two.yar', namespace: 'two', source: rule('A', 'condition: tru') },
      ]);

      expect(outcome.errors.map((e) => [e.code, e.source, e.line, e.column])).toEqual([
        ['E009', 'one-b.yar', 4, 14],
        ['E009', 'two.yar', 2, 14],
      ]);
    });

    it('refuses a rule name declared twice in one namespace, and accepts it in two', async () => {
      const outcome = await sut([
        { name: 'a.yar', namespace: 'pack', source: rule('Twin') },
        { name: 'b.yar', namespace: 'other', source: rule('Twin') },
        { name: 'c.yar', namespace: 'pack', source: `\n${rule('Twin')}` },
        { name: 'd.yar', source: rule('Twin') },
      ]);

      expect(outcome.errors).toEqual([
        expect.objectContaining({
          code: 'duplicate_rule',
          message: 'duplicate rule `Twin`: already declared in a.yar (line 1)',
          detail: expect.stringContaining('rule names must be unique within namespace `pack`'),
          source: 'c.yar',
          line: 2,
        }),
      ]);
      expect(outcome.ruleNames).toEqual(['pack:Twin', 'other:Twin', 'pack:Twin', 'Twin']);
    });

    it('attributes a warning to its namespaced source and line', async () => {
      const outcome = await sut([
        { name: 'plain.yar', source: rule('Plain', 'strings: $a = "fast-enough"\n  condition: $a') },
        { name: 'fast.yar', namespace: 'n', source: rule('Fast', 'strings: $a = "fast-enough"\n  condition: $a') },
        { name: 'slow.yar', namespace: 'n', source: `\n${rule('Slow', 'strings:\n    $h = { 01 }\n  condition: $h')}` },
      ]);

      expect(outcome.ok).toBe(true);
      expect(outcome.warnings).toEqual([
        expect.objectContaining({ code: 'slow_pattern', source: 'slow.yar', line: 4, column: 10 }),
      ]);
    });

    it('attributes the warnings of one pack given in two namespaces to each copy', async () => {
      const pack = `import "pe"\n${rule('Slow', 'strings:\n    $h = { 01 }\n  condition: $h and pe.is_pe')}`;
      const outcome = await sut([
        { name: 'first/pack.yar', namespace: 'first', source: pack },
        { name: 'fine.yar', namespace: 'between', source: rule('Fine') },
        { name: 'second/pack.yar', namespace: 'second', source: pack },
      ]);

      expect(outcome.ok).toBe(true);
      expect(outcome.warnings.map((w) => [w.code, w.source, w.line, w.column])).toEqual([
        ['slow_pattern', 'first/pack.yar', 4, 10],
        ['slow_pattern', 'second/pack.yar', 4, 10],
      ]);
      expect(outcome.warnings[1].detail).toContain('--> second/pack.yar:4:10');
    });

    it('refuses an include in a namespaced source, naming the source and line', async () => {
      const outcome = await sut([
        { name: 'plain.yar', source: rule('Plain') },
        { name: 'includer.yar', namespace: 'pack', source: `${rule('A')}include "x.yar"\n` },
      ]);

      expect(outcome.errors).toEqual([expect.objectContaining({ code: 'E044', source: 'includer.yar', line: 4 })]);
    });

    it.each([
      ['empty', ''],
      ['the default one named', 'default'],
      ['with a space', 'pack a'],
      ['with a colon', 'pack:a'],
      ['with a line break', 'pack\na'],
      ['too long', 'n'.repeat(201)],
      ['not a string', 42],
    ])('refuses a namespace %s with a diagnostic of its source, starting no engine', async (_, namespace) => {
      const spawn = jest.spyOn(childProcess, 'spawn');
      try {
        const outcome = await sut([
          { name: 'good.yar', namespace: 'fine', source: rule('Good') },
          { name: 'bad.yar', namespace: namespace as string, source: rule('Bad') },
        ]);

        expect(outcome).toMatchObject({ ok: false, ruleNames: ['fine:Good'] });
        expect(outcome.errors).toEqual([
          expect.objectContaining({ severity: 'error', code: 'invalid_namespace', source: 'bad.yar' }),
        ]);
        expect(spawn).not.toHaveBeenCalled();
      } finally {
        spawn.mockRestore();
      }
    });

    it('declares the external variables in every namespace, set for each scan', async () => {
      const outcome = await sut([
        { name: 'plain.yar', source: rule('ByName', 'condition: filename == "a.exe"') },
        { name: 'pack.yar', namespace: 'pack', source: rule('ByName', 'condition: extension == ".exe"') },
      ]);

      const result = await outcome.ruleset!.scanBuffer(Buffer.from('x'), {
        variables: { filename: 'a.exe', extension: '.exe' },
      });
      expect(result.matches.map((m) => [m.namespace, m.rule])).toEqual([
        [undefined, 'ByName'],
        ['pack', 'ByName'],
      ]);
      const other = await outcome.ruleset!.scanBuffer(Buffer.from('x'), { variables: { extension: '.exe' } });
      expect(other.matches.map((m) => [m.namespace, m.rule])).toEqual([['pack', 'ByName']]);
    });

    it('accepts a namespace of 200 letters, digits and `_ . / -`', async () => {
      const namespace = `packs/vendor-1.2_x/${'n'.repeat(181)}`;
      const outcome = await sut([{ name: 'ok.yar', namespace, source: rule('Ok') }]);

      expect(outcome).toMatchObject({ ok: true, ruleNames: [`${namespace}:Ok`] });
      const result = await outcome.ruleset!.scanBuffer(Buffer.from('x'));
      expect(result.matches).toEqual([expect.objectContaining({ namespace, rule: 'Ok' })]);
    });
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
