import { Text } from '@codemirror/state';
import {
  diagnosticRange,
  escapeText,
  hexPattern,
  lineDiff,
  ruleNameFor,
  ruleTemplate,
  textPattern,
  withCaseMeta,
  withPattern,
} from './rule-text';

describe("the rule editor's rule text", () => {
  const doc = Text.of(['rule Broken {', '  meta:', '    case = "SD-1"', '  condition:', '    tru', '}']);
  const marked = (range: { from: number; to: number }) => doc.sliceString(range.from, range.to);

  it("marks a diagnostic's word from its 1-based line and column", () => {
    expect(marked(diagnosticRange(doc, 5, 5))).toBe('tru');
    expect(diagnosticRange(doc, 5, 5).from).toBe(doc.line(5).from + 4);
    expect(marked(diagnosticRange(doc, 1, 6))).toBe('Broken');
    expect(marked(diagnosticRange(doc, 3, 12))).toBe('"');
  });

  it('holds places past the end to the document, and puts a diagnostic without one on the first line', () => {
    expect(diagnosticRange(doc, 99, 1).from).toBe(doc.line(6).from);
    expect(diagnosticRange(doc, 2, 999)).toEqual({ from: doc.line(2).to, to: doc.line(2).to + 1 });
    expect(marked(diagnosticRange(doc, undefined, undefined))).toBe('rule');
    expect(diagnosticRange(doc, 0, -5).from).toBe(0);
    const empty = Text.of(['']);
    expect(diagnosticRange(empty, 1, 1)).toEqual({ from: 0, to: 0 });
  });

  it('starts a rule with the case reference in meta', () => {
    const name = ruleNameFor('SD-2026-000123', 'Trojan');
    expect(name).toBe('Trojan_SD_2026_000123');
    const template = ruleTemplate({ reference: 'SD-2026-000123', name, description: 'dropper "v2"' });
    expect(template).toContain('case = "SD-2026-000123"');
    expect(template).toContain('description = "dropper \\"v2\\""');
    expect(template.startsWith(`rule ${name}\n{`)).toBe(true);
  });

  it("writes a sample's strings and bytes as patterns", () => {
    expect(escapeText('C:\\tmp\\"x"\t\u0001é')).toBe('C:\\\\tmp\\\\\\"x\\"\\t\\x01\\xe9');
    expect(textPattern('cmd.exe /c', 'ascii')).toBe('"cmd.exe /c"');
    expect(textPattern('kernel32', 'utf16le')).toBe('"kernel32" wide');
    expect(hexPattern('4d5a9000')).toBe('{ 4D 5A 90 00 }');
    expect(hexPattern('4d 5a\n90')).toBe('{ 4D 5A 90 }');
  });

  it('adds a pattern at the end of the strings section under the first free name', () => {
    const template = ruleTemplate({ reference: 'SD-1', name: 'R' });
    const first = withPattern(template, 's', '"one"');
    expect(first.identifier).toBe('$s1');
    const second = withPattern(first.text, 's', '"two"');
    const third = withPattern(second.text, 'h', '{ 4D 5A }');
    expect(third.text).toContain(
      '    strings:\n        $s1 = "one"\n        $s2 = "two"\n        $h1 = { 4D 5A }\n    condition:',
    );
    expect(third.text.slice(0, third.cursor).endsWith('$h1 = { 4D 5A }')).toBe(true);
  });

  it('makes a strings section when the rule has none', () => {
    const added = withPattern(
      'rule R {\n    meta:\n        case = "SD-1"\n    condition:\n        true\n}',
      's',
      '"x"',
    );
    expect(added.text).toBe(
      'rule R {\n    meta:\n        case = "SD-1"\n    strings:\n        $s1 = "x"\n    condition:\n        true\n}',
    );
  });

  it('diffs a replacement against the rule it replaces, line by line', () => {
    expect(lineDiff('rule A\n{\n  $a = "x"\n  condition: $a\n}', 'rule A\n{\n  $a = "y"\n  condition: $a\n}')).toEqual([
      { kind: 'same', text: 'rule A' },
      { kind: 'same', text: '{' },
      { kind: 'removed', text: '  $a = "x"' },
      { kind: 'added', text: '  $a = "y"' },
      { kind: 'same', text: '  condition: $a' },
      { kind: 'same', text: '}' },
    ]);
    expect(lineDiff('', 'a').map((line) => line.kind)).toEqual(['removed', 'added']);
    expect(lineDiff('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
  });

  it("starts a replacement from the database's rule, with the case reference in its meta", () => {
    expect(
      withCaseMeta(
        'rule A\n{\n    meta:\n        case = "SD-OLD"\n        author = "x"\n    condition:\n        true\n}',
        'SD-2',
      ),
    ).toBe('rule A\n{\n    meta:\n        case = "SD-2"\n        author = "x"\n    condition:\n        true\n}\n');
    expect(withCaseMeta('rule EICAR_Test_File { strings: $a = "x" condition: $a }', 'SD-3')).toBe(
      'rule EICAR_Test_File {\n    meta:\n        case = "SD-3"\n    strings: $a = "x" condition: $a }\n',
    );
    expect(withCaseMeta('not a rule', 'SD-4')).toBe('not a rule\n');
  });
});
