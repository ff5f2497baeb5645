import { compileRuleset, type CompileOutcome, type RuleSource } from './ruleset';

const rule = (name: string, body = 'condition: filesize > 0'): string => `rule ${name} {\n  ${body}\n}\n`;

describe(compileRuleset.name, () => {
  const outcomes: CompileOutcome[] = [];
  const sut = (sources: RuleSource[]): CompileOutcome => {
    const outcome = compileRuleset(sources);
    outcomes.push(outcome);
    return outcome;
  };

  afterEach(async () => {
    await Promise.all(outcomes.splice(0).map((o) => o.ruleset?.close()));
  });

  it('compiles valid sources into a ruleset and lists the declared rules in order', () => {
    const outcome = sut([
      { name: 'one.yar', source: rule('One') },
      { name: 'two.yar', source: `// rule NotARule\n${rule('Two')}private ${rule('Three')}` },
    ]);

    expect(outcome).toMatchObject({ ok: true, errors: [], ruleNames: ['One', 'Two', 'Three'] });
    expect(outcome.ruleset?.ruleCount).toBe(3);
    expect(outcome.millis).toBeGreaterThan(0);
  });

  it('reports a syntax error in the third of three sources with its name, line and column', () => {
    const outcome = sut([
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

  it('reports every error, each against its own source, rather than only the first one', () => {
    const outcome = sut([
      { name: 'a.yar', source: rule('A', 'condition: tru') },
      { name: 'b.yar', source: rule('B') },
      { name: 'c.yar', source: `\n\n${rule('C', 'condition: fals')}` },
    ]);

    expect(outcome.errors.map((e) => [e.code, e.source, e.line, e.column, e.message])).toEqual([
      ['E009', 'a.yar', 2, 14, 'unknown identifier `tru`: this identifier has not been declared'],
      ['E009', 'c.yar', 4, 14, 'unknown identifier `fals`: this identifier has not been declared'],
    ]);
  });

  it('renumbers the detail to the lines of the source, widening the gutter where needed', () => {
    const outcome = sut([
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

  it('surfaces a slow pattern as a warning on its line and still compiles', () => {
    const outcome = sut([
      { name: 'fast.yar', source: rule('Fast', 'strings: $a = "fast-enough"\n  condition: $a') },
      { name: 'slow.yar', source: rule('Slow', 'strings:\n    $h = { 01 ?? ?? ?? 02 }\n  condition: $h') },
    ]);

    expect(outcome.ok).toBe(true);
    expect(outcome.warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'slow_pattern',
        message: 'slow pattern: this pattern may slow down the scan',
        source: 'slow.yar',
        line: 3,
        column: 5,
      }),
    ]);
  });

  it('reports a rule name declared in two sources once, naming both sources', () => {
    const outcome = sut([
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

  it('reports a rule name declared twice in one source', () => {
    const outcome = sut([{ name: 'twice.yar', source: `${rule('Twice')}${rule('Twice')}` }]);

    expect(outcome.errors.map((e) => e.message)).toEqual(['duplicate rule `Twice`: already declared in line 1']);
  });

  it('blames the source that leaves a comment open, even when a later source closes it', () => {
    const outcome = sut([
      { name: 'opens.yar', source: `${rule('Opens')}/* swallowing` },
      { name: 'closes.yar', source: `*/\n${rule('Swallowed')}` },
    ]);

    expect(outcome.ok).toBe(false);
    expect(outcome.errors[0]).toMatchObject({ code: 'unclosed_comment', source: 'opens.yar', line: 4, column: 1 });
  });

  it('blames the source that leaves a brace open rather than the next one', () => {
    const outcome = sut([
      { name: 'open.yar', source: 'rule Open {\n  condition: true\n' },
      { name: 'next.yar', source: rule('Next') },
    ]);

    expect(outcome.errors[0]).toMatchObject({ code: 'unbalanced_braces', source: 'open.yar' });
  });

  it('refuses include statements, which would read files of the server', () => {
    const outcome = sut([{ name: 'include.yar', source: `include "/etc/hostname"\n${rule('A')}` }]);

    expect(outcome.errors).toEqual([expect.objectContaining({ code: 'E044', source: 'include.yar', line: 1 })]);
  });

  it('compiles no sources into an empty ruleset', () => {
    expect(sut([])).toMatchObject({ ok: true, ruleNames: [], ruleset: { ruleCount: 0 } });
  });
});
