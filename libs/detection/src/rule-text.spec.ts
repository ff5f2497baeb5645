import { readRuleText } from './rule-text';

describe(readRuleText.name, () => {
  it('finds rule declarations with their positions, private and global ones included', () => {
    const reading = readRuleText(
      [
        'rule First { condition: true }',
        '  private rule Second : tag {',
        '  condition: true }',
        'global private rule Third { condition: true }',
      ].join('\n'),
    );

    expect(reading.declarations).toEqual([
      { name: 'First', modifiers: [], keywordAt: 0, line: 1, column: 6 },
      { name: 'Second', modifiers: ['private'], keywordAt: 41, line: 2, column: 16 },
      { name: 'Third', modifiers: ['global', 'private'], keywordAt: 96, line: 4, column: 21 },
    ]);
  });

  it('ignores the word rule in comments, strings, regular expressions and pattern names', () => {
    const source = [
      '// rule InLineComment',
      '/* rule InBlockComment',
      '   rule StillInIt */',
      'rule Real {',
      '  meta: note = "rule InString { }"',
      '  strings: $rule = /rule InRegex\\/ {/ $b = "x"',
      '  condition: $rule and #rule > 0 and $b',
      '}',
    ].join('\n');

    const reading = readRuleText(source);

    expect(reading.declarations.map((d) => d.name)).toEqual(['Real']);
    expect(reading.braceBalance).toBe(0);
  });

  it('tells where a block comment is left open', () => {
    expect(readRuleText('rule a { condition: true }\n  /* never closed\nrule b { condition: true }')).toMatchObject({
      unclosedComment: { line: 2, column: 3 },
    });
  });

  it('counts braces left open, hex strings and comments inside them included', () => {
    expect(readRuleText('rule a { strings: $h = { 4D /* } */ 5A } condition: $h').braceBalance).toBe(1);
    expect(readRuleText('rule a { condition: true } }').braceBalance).toBe(-1);
  });
});
