import { namespaceProblem, qualifiedRuleName, RuleUnits } from './rule-units';

describe(RuleUnits.name, () => {
  it('keeps the one text of sources without namespaces, as the engine always built it', () => {
    const sut = new RuleUnits([
      { name: 'a.yar', source: 'rule A { condition: true }' },
      { name: 'b.yar', source: 'rule B { condition: true }' },
    ]);

    expect(sut.namespaced).toBe(false);
    expect(sut.engineSource).toBe('\nrule A { condition: true }\nrule B { condition: true }');
  });

  it('joins the sources of each namespace in order, the default namespace first', () => {
    const sut = new RuleUnits([
      { name: 'x1.yar', namespace: 'x', source: 'rule X1 { condition: true }' },
      { name: 'plain.yar', source: 'rule P { condition: true }' },
      { name: 'y.yar', namespace: 'y', source: 'rule Y { condition: true }' },
      { name: 'x2.yar', namespace: 'x', source: 'rule X2 { condition: true }' },
    ]);

    expect(sut.engineSource).toEqual([
      { namespace: 'default', source: '\nrule P { condition: true }' },
      { namespace: 'x', source: '\nrule X1 { condition: true }\nrule X2 { condition: true }' },
      { namespace: 'y', source: '\nrule Y { condition: true }' },
    ]);
  });

  it('leaves out an empty default namespace, and maps a report to its unit and source', () => {
    const sut = new RuleUnits([
      { name: 'x1.yar', namespace: 'x', source: 'rule X1 { condition: true }' },
      { name: 'x2.yar', namespace: 'x', source: '\nrule X2 { condition: tru }' },
    ]);
    const report = {
      code: 'E009',
      unit: 0,
      message: 'error[E009]: unknown identifier `tru`\n --> line:4:21\n  |\n4 | rule X2 { condition: tru }\n  |',
    };

    expect(sut.engineSource).toEqual([{ namespace: 'x', source: expect.any(String) }]);
    expect(sut.diagnose('error', report)).toMatchObject({ source: 'x2.yar', line: 2, column: 21 });
    // a report of no known unit keeps its text, placed nowhere
    expect(sut.diagnose('error', { ...report, unit: undefined })).not.toHaveProperty('source');
  });

  it('throws on a namespace that is not valid (compileRuleset answers a diagnostic before)', () => {
    expect(() => new RuleUnits([{ name: 'bad.yar', namespace: 'a b', source: '' }])).toThrow(/bad\.yar/);
  });
});

describe(namespaceProblem.name, () => {
  it.each(['pack', 'vendor/pack-1.2_x', 'n'.repeat(200)])('accepts %s', (namespace) => {
    expect(namespaceProblem(namespace)).toBeUndefined();
  });

  it.each(['', 'default', 'a b', 'a:b', 'a\nb', 'é', 'n'.repeat(201), 7])('refuses %p', (namespace) => {
    expect(namespaceProblem(namespace)).toEqual(expect.any(String));
  });
});

describe(qualifiedRuleName.name, () => {
  it('names default rules plainly and others with their namespace', () => {
    expect(qualifiedRuleName('default', 'A')).toBe('A');
    expect(qualifiedRuleName('pack', 'A')).toBe('pack:A');
  });
});
