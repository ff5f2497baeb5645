import { applyChange } from './change-content';

const base = {
  sources: [
    { name: 'A', source: 'rule A { condition: true }' },
    { name: 'B', source: 'rule B { condition: false }' },
  ],
  allowlist: new Set(['a'.repeat(64)]),
};
const change = { rule_name: null, rule_source: null, sha256: null, target_rule: null };

describe(applyChange.name, () => {
  it('adds a detection rule', () => {
    const next = applyChange(base, {
      ...change,
      type: 'add_detection',
      rule_name: 'C',
      rule_source: 'rule C { condition: true }',
    });
    expect(next.sources.map((s) => s.name)).toEqual(['A', 'B', 'C']);
  });

  it('suppresses by allow-listing a SHA-256 without touching the rules', () => {
    const next = applyChange(base, { ...change, type: 'suppress_detection', sha256: 'b'.repeat(64) });
    expect(next.allowlist.has('b'.repeat(64))).toBe(true);
    expect(next.sources).toBe(base.sources);
    expect(base.allowlist.has('b'.repeat(64))).toBe(false);
  });

  it('disables a rule, or replaces it', () => {
    expect(
      applyChange(base, { ...change, type: 'suppress_detection', target_rule: 'A' }).sources.map((s) => s.name),
    ).toEqual(['B']);
    const replaced = applyChange(base, {
      ...change,
      type: 'suppress_detection',
      target_rule: 'A',
      rule_name: 'A_v2',
      rule_source: 'rule A_v2 { condition: false }',
    });
    expect(replaced.sources.map((s) => s.name)).toEqual(['B', 'A_v2']);
  });
});
