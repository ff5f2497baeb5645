import { ContentRule, ruleRevision } from '../content/signature-content';
import type { RawScan } from '../scan-verdicts.repository';
import { combineScans, contentDelta } from './content-delta';

const rule = (name: string, condition = 'true', extra = '') =>
  ruleRevision(name, `${extra}rule ${name} { strings: $a = "${name}" condition: ${condition} }`);
const parent: ContentRule[] = [rule('Alpha'), rule('Beta', '$a'), rule('Gamma', '$a and filesize < 100')];
const scan = (overrides: Partial<RawScan> = {}): RawScan => ({
  rules: [],
  offsets: {},
  millis: 0,
  cpuMillis: 0,
  ...overrides,
});

describe(contentDelta.name, () => {
  it('takes added rules alone, and drops nothing', () => {
    const added = rule('Delta', '$a');
    expect(contentDelta(parent, [...parent, added])).toEqual({ scan: 'delta', added: [added], dropped: new Set() });
  });

  it('drops the matches of a removed rule and adds nothing', () => {
    expect(contentDelta(parent, [parent[0], parent[2]])).toEqual({
      scan: 'delta',
      added: [],
      dropped: new Set(['Beta']),
    });
  });

  it('takes a changed rule (same name, other source) as dropped and added', () => {
    const changed = rule('Beta', '$a at 0');
    const delta = contentDelta(parent, [parent[0], changed, parent[2]]);
    expect(delta).toEqual({ scan: 'delta', added: [changed], dropped: new Set(['Beta']) });
  });

  it('drops every rule a removed source declares, private ones included', () => {
    const pack = ruleRevision('Pack', 'private rule Helper { condition: true }\nrule Pack { condition: Helper }');
    const delta = contentDelta([...parent, pack], parent);
    expect(delta).toMatchObject({ scan: 'delta', dropped: new Set(['Pack', 'Helper']) });
  });

  it('names the dropped rules of a namespaced source as a scan does', () => {
    const namespaced = { ...rule('Epsilon'), namespace: 'vendor' };
    expect(contentDelta([...parent, namespaced], parent)).toMatchObject({ dropped: new Set(['vendor:Epsilon']) });
    // the same name in another namespace is another rule, which names only itself
    const beta = { ...rule('Beta'), namespace: 'vendor' };
    const otherBeta = { ...beta, namespace: 'other' };
    expect(contentDelta([...parent, beta], [...parent, otherBeta])).toEqual({
      scan: 'delta',
      added: [otherBeta],
      dropped: new Set(['vendor:Beta']),
    });
  });

  it('scans in full when the rules are the same (an allow-list change): the parent scans are the candidate ones', () => {
    expect(contentDelta(parent, [...parent])).toEqual({ scan: 'full', reason: 'the rules are the same' });
  });

  it('scans in full when an unchanged rule names a removed or changed one', () => {
    const user = rule('User', 'Beta and $a');
    const delta = contentDelta([...parent, user], [parent[0], rule('Beta', 'false'), parent[2], user]);
    expect(delta).toEqual({ scan: 'full', reason: 'User mentions Beta, which the change(s) touch' });
    // a rule of another namespace cannot name it
    const vendorUser = { ...user, namespace: 'vendor' };
    expect(contentDelta([...parent, vendorUser], [parent[0], parent[2], vendorUser])).toMatchObject({ scan: 'delta' });
    // a longer identifier is not a mention
    const other = rule('Other', 'BetaMax or $a');
    expect(contentDelta([...parent, other], [parent[0], parent[2], other])).toMatchObject({ scan: 'delta' });
  });

  it('scans in full when an unchanged rule set with a wildcard covers an added or removed name', () => {
    const family = rule('Family', 'any of (Del*)');
    expect(contentDelta([...parent, family], [...parent, family, rule('Delta')])).toEqual({
      scan: 'full',
      reason: 'Family refers to the rules Del*',
    });
    expect(contentDelta([...parent, family], [...parent, family, rule('Omega')])).toMatchObject({ scan: 'delta' });
    // nor is a set of the rule's own patterns
    const patterns = ruleRevision('Patterns', 'rule Patterns { strings: $Del1 = "x" condition: any of ($Del*) }');
    expect(contentDelta([...parent, patterns], [...parent, patterns, rule('Delta')])).toMatchObject({ scan: 'delta' });
    // a star in a string or a regular expression is no rule set
    const starred = ruleRevision('Starred', 'rule Starred { strings: $a = "Del*" $b = /Del*/ condition: $a or $b }');
    expect(contentDelta([...parent, starred], [...parent, starred, rule('Delta')])).toMatchObject({ scan: 'delta' });
  });

  it('scans in full when a global rule is in a touched namespace: it switches off the others of its namespace', () => {
    const global = rule('Gate', 'filesize > 10', 'global ');
    expect(contentDelta([...parent, global], [...parent, global, rule('Delta')])).toEqual({
      scan: 'full',
      reason: 'Gate holds a global rule',
    });
    expect(contentDelta(parent, [...parent, global])).toMatchObject({ scan: 'full' });
    expect(contentDelta([...parent, global], parent)).toMatchObject({ scan: 'full' });
    // nor does one of a namespace the change does not touch
    const elsewhere = { ...global, namespace: 'vendor' };
    expect(contentDelta([...parent, elsewhere], [...parent, elsewhere, rule('Delta')])).toMatchObject({
      scan: 'delta',
    });
    expect(contentDelta([...parent, elsewhere], [...parent, rule('Delta')])).toMatchObject({ scan: 'full' });
    // the word alone is not a global rule
    const word = rule('Worded', '$a', '// not global\n');
    expect(contentDelta([...parent, word], [...parent, word, rule('Delta')])).toMatchObject({ scan: 'delta' });
  });

  it('scans in full when a name appears twice (such content does not compile)', () => {
    expect(contentDelta(parent, [...parent, rule('Delta'), rule('Delta', 'false')])).toEqual({
      scan: 'full',
      reason: 'a rule name appears twice',
    });
  });
});

describe(combineScans.name, () => {
  it("keeps the parent's matches but the dropped ones, and adds the added rules' matches", () => {
    const fromParent = scan({ rules: ['Alpha', 'Beta'], offsets: { Alpha: [0], Beta: [4, 8] } });
    const fromAdded = scan({ rules: ['Beta', 'Delta'], offsets: { Beta: [12], Delta: [1] } });
    expect(combineScans(fromParent, { scan: fromAdded, pass: scan() }, new Set(['Beta']))).toEqual({
      rules: ['Alpha', 'Beta', 'Delta'],
      offsets: { Alpha: [0], Beta: [12], Delta: [1] },
      millis: 0,
      cpuMillis: 0,
    });
  });

  it("adds what the added rules cost beyond a scan's fixed pass to the parent's time, never less than nothing", () => {
    const fromParent = scan({ millis: 100, cpuMillis: 80 });
    const fromAdded = scan({ millis: 30, cpuMillis: 25 });
    expect(combineScans(fromParent, { scan: fromAdded, pass: scan({ millis: 20, cpuMillis: 20 }) }, new Set())).toEqual(
      scan({ millis: 110, cpuMillis: 85 }),
    );
    // the probe's scan may have been timed on a busier machine
    expect(combineScans(fromParent, { scan: fromAdded, pass: scan({ millis: 50, cpuMillis: 40 }) }, new Set())).toEqual(
      scan({ millis: 100, cpuMillis: 80 }),
    );
  });

  it('leaves nothing of a removed rule when nothing was added', () => {
    const fromParent = scan({ rules: ['Beta'], offsets: { Beta: [4] }, millis: 5, cpuMillis: 5 });
    expect(combineScans(fromParent, null, new Set(['Beta']))).toEqual(scan({ millis: 5, cpuMillis: 5 }));
  });

  it('does not alter the scans it combines (they stay remembered as they are)', () => {
    const fromParent = scan({ rules: ['Alpha'], offsets: { Alpha: [0] } });
    const fromAdded = scan({ rules: ['Delta'], offsets: { Delta: [1] } });
    combineScans(fromParent, { scan: fromAdded, pass: scan() }, new Set());
    expect(fromParent).toEqual(scan({ rules: ['Alpha'], offsets: { Alpha: [0] } }));
    expect(fromAdded).toEqual(scan({ rules: ['Delta'], offsets: { Delta: [1] } }));
  });
});
