import {
  activeAllowlist,
  applyChanges,
  ContentChange,
  PackSource,
  ruleRevision,
  rulesHash,
  SignatureContent,
} from './signature-content';

const base: SignatureContent = {
  rules: [ruleRevision('A', 'rule A { condition: true }'), ruleRevision('B', 'rule B { condition: false }')],
  allowlist: [{ sha256: 'a'.repeat(64), expiresAt: null, changeId: null, caseId: null, reason: 'vendor tool' }],
};
const change = (overrides: Partial<ContentChange>): ContentChange => ({
  id: 'change-1',
  case_id: 'case-1',
  type: 'add_detection',
  rule_name: null,
  rule_source: null,
  sha256: null,
  target_rule: null,
  reason: null,
  expires_at: null,
  ...overrides,
});

describe(applyChanges.name, () => {
  it('adds a detection rule in name order, remembering the case it was written for', () => {
    const next = applyChanges(base, [change({ rule_name: 'AA', rule_source: 'rule AA { condition: true }' })]);
    expect(next.rules.map((r) => r.name)).toEqual(['A', 'AA', 'B']);
    expect(next.rules[1]).toMatchObject({ caseId: 'case-1', changeId: 'change-1' });
    expect(base.rules).toHaveLength(2);
  });

  it('allow-lists a SHA-256 with its expiry without touching the rules', () => {
    const expires = new Date('2027-01-01T00:00:00Z');
    const next = applyChanges(base, [
      change({ type: 'suppress_detection', sha256: 'b'.repeat(64), expires_at: expires }),
    ]);
    expect(next.rules).toEqual(base.rules);
    expect(next.allowlist.map((e) => [e.sha256[0], e.expiresAt])).toEqual([
      ['a', null],
      ['b', expires.toISOString()],
    ]);
  });

  it('disables a rule, or replaces it with a new revision of the same name', () => {
    expect(
      applyChanges(base, [change({ type: 'suppress_detection', target_rule: 'A' })]).rules.map((r) => r.name),
    ).toEqual(['B']);
    const replaced = applyChanges(base, [
      change({
        type: 'suppress_detection',
        target_rule: 'A',
        rule_name: 'A',
        rule_source: 'rule A { condition: false }',
      }),
    ]);
    expect(replaced.rules.find((r) => r.name === 'A')?.source).toBe('rule A { condition: false }');
    expect(rulesHash(replaced.rules)).not.toBe(rulesHash(base.rules));
  });

  it('keeps a name added twice twice, so that the compiler names the duplicate', () => {
    const next = applyChanges(base, [change({ rule_name: 'A', rule_source: 'rule A { condition: filesize > 1 }' })]);
    expect(next.rules.filter((r) => r.name === 'A')).toHaveLength(2);
  });
});

describe(`${applyChanges.name} of a rule pack`, () => {
  const file = (pack: string, path: string, importId: string): PackSource => ({
    namespace: `${pack}/${path.replace(/\.yar$/, '')}`,
    path,
    source: `rule R_${path.replace(/\W/g, '_')} { condition: true }`,
    provenance: { pack, file: path, importId },
  });
  const importOf = (id: string, sources: PackSource[]) => change({ id, case_id: null, type: 'import_rules', sources });

  it("replaces the pack as a whole: a file the new version no longer has goes, another pack's stay", () => {
    const first = applyChanges(base, [
      importOf('import-1', [file('acme', 'a.yar', 'i1'), file('acme', 'b.yar', 'i1'), file('other', 'a.yar', 'i0')]),
    ]);
    expect(first.rules.map((r) => r.name)).toEqual(['A', 'B', 'acme/a', 'acme/b', 'other/a']);
    const second = applyChanges(first, [
      importOf('import-2', [file('acme', 'a.yar', 'i2'), file('acme', 'c.yar', 'i2')]),
    ]);
    expect(second.rules.map((r) => [r.name, r.provenance?.importId ?? null])).toEqual([
      ['A', null],
      ['B', null],
      ['acme/a', 'i2'],
      ['acme/c', 'i2'],
      ['other/a', 'i0'],
    ]);
    expect(second.rules.find((r) => r.name === 'acme/a')?.changeId).toBe('import-2');
  });
});

describe(rulesHash.name, () => {
  it('identifies a ruleset whatever the order its rules come in', () => {
    expect(rulesHash([...base.rules].reverse())).toBe(rulesHash(base.rules));
  });
});

describe(activeAllowlist.name, () => {
  it('drops an entry once its expiry has passed', () => {
    const content: SignatureContent = {
      rules: [],
      allowlist: [
        { sha256: 'c'.repeat(64), expiresAt: '2026-12-01T00:00:00.000Z', changeId: null, caseId: null, reason: null },
        { sha256: 'd'.repeat(64), expiresAt: null, changeId: null, caseId: null, reason: null },
      ],
    };
    expect(activeAllowlist(content, new Date('2026-11-30T00:00:00Z')).size).toBe(2);
    expect([...activeAllowlist(content, new Date('2026-12-02T00:00:00Z'))]).toEqual(['d'.repeat(64)]);
  });
});
