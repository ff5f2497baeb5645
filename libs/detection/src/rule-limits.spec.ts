import { checkRuleStructure, DEFAULT_RULE_LIMITS } from './rule-limits';

const nested = (depth: number) => `rule Deep {\n  condition:\n    ${'('.repeat(depth)}true${')'.repeat(depth)}\n}`;

describe(checkRuleStructure.name, () => {
  it('accepts an ordinary rule', () => {
    const source = [
      'import "pe"',
      'rule Trojan_Win32_Example : trojan {',
      '  meta:',
      '    score = -1',
      '  strings:',
      '    $a = "payload.dll" nocase',
      '    $h = { 4D 5A ( 90 | 91 ) [2-8] ?? 00 }',
      '    $r = /https?:\\/\\/[a-z]{4,8}\\.(com|net)/',
      '  condition:',
      '    uint16(0) == 0x5A4D and not (pe.number_of_sections > -1 - -2) and ($a or $h) and #r < @a[1] + !a[1]',
      '}',
    ].join('\n');

    expect(checkRuleStructure(source)).toEqual([]);
  });

  it('refuses a condition nested 50,000 parentheses deep, where the first level too many opens', () => {
    expect(checkRuleStructure(nested(50_000))).toContainEqual({
      severity: 'error',
      code: 'nesting_too_deep',
      message: 'the rule text nests 50000 levels deep; at most 64 are allowed',
      detail: expect.stringContaining('nest 50000 levels deep'),
      line: 3,
      column: 5 + 64,
    });
  });

  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(checkRuleStructure(nested(64))).toEqual([]);
    expect(checkRuleStructure(nested(65)).map((d) => d.code)).toEqual(['nesting_too_deep']);
    expect(checkRuleStructure(nested(65), { maxNestingDepth: 65 })).toEqual([]);
  });

  it('counts chains of prefix and comparison operators as nesting, which YARA-X parses by recursion', () => {
    const condition = (text: string) => `rule Chain { condition: ${text} }`;

    expect(checkRuleStructure(condition(`${'not '.repeat(100)}true`))[0]?.code).toBe('nesting_too_deep');
    expect(checkRuleStructure(condition(`${'- '.repeat(100)}1 == 1`))[0]?.code).toBe('nesting_too_deep');
    expect(checkRuleStructure(condition(`${'1 == '.repeat(100)}1`))[0]?.code).toBe('nesting_too_deep');
    expect(checkRuleStructure(condition(`${'filesize & '.repeat(100)}1`))[0]?.code).toBe('nesting_too_deep');
  });

  it('lets operators parsed in a loop chain freely', () => {
    const condition = (text: string) => `rule Chain { condition: ${text} }`;

    expect(checkRuleStructure(condition(Array(5000).fill('filesize > 1').join(' and ')))).toEqual([]);
    expect(checkRuleStructure(condition(`${Array(5000).fill('1').join(' + ')} == 1`))).toEqual([]);
    expect(checkRuleStructure(condition(`${Array(5000).fill('1').join(' - ')} == 1`))).toEqual([]);
  });

  it('counts alternatives nested in a hex string', () => {
    const source = `rule Hex { strings: $h = { ${'( 41 | '.repeat(100)}42${' )'.repeat(100)} } condition: $h }`;

    expect(checkRuleStructure(source).map((d) => d.code)).toEqual(['nesting_too_deep']);
  });

  it('ignores parentheses in comments, strings and regular expressions', () => {
    const source = [
      `// ${'('.repeat(100)}`,
      'rule Quiet {',
      `  meta: note = "${'('.repeat(100)}"`,
      `  strings: $r = /a${'(b'.repeat(20)}${')'.repeat(20)}/`,
      `  condition: /* ${'['.repeat(100)} */ $r`,
      '}',
    ].join('\n');

    expect(checkRuleStructure(source)).toEqual([]);
  });

  it('does not carry the parentheses a rule leaves open into the next rule', () => {
    const source = Array.from({ length: 30 }, (_, i) => `rule R${i} { condition: ((((true }`).join('\n');

    expect(checkRuleStructure(source)).toEqual([]);
  });

  it('refuses a rule with more patterns than allowed, at its name', () => {
    const patterns = (count: number) => Array.from({ length: count }, (_, i) => `$s${i} = "p${i}"`).join('\n    ');
    const source = (count: number) =>
      `rule First { condition: true }\nrule Many {\n  strings:\n    ${patterns(count)}\n  condition: any of them\n}`;

    expect(checkRuleStructure(source(DEFAULT_RULE_LIMITS.maxPatternsPerRule))).toEqual([]);
    expect(checkRuleStructure(source(DEFAULT_RULE_LIMITS.maxPatternsPerRule + 1))).toEqual([
      expect.objectContaining({
        code: 'too_many_patterns',
        message: 'rule `Many` defines 10001 patterns; at most 10000 are allowed',
        line: 2,
        column: 6,
      }),
    ]);
  });

  it('refuses a condition of more tokens than allowed, at the word condition', () => {
    const source = `rule Huge {\n  condition:\n    ${Array(10_000).fill('filesize > 1').join(' or ')}\n}`;

    expect(checkRuleStructure(source, { maxConditionTokens: 40_000 })).toEqual([
      expect.objectContaining({ code: 'condition_too_large', line: 2, column: 3 }),
    ]);
    expect(checkRuleStructure(source, { maxConditionTokens: 40_010 })).toEqual([]);
  });

  it('refuses a hex string of more jumps and alternatives than allowed, at its opening brace', () => {
    const hex = (units: number) => Array(units).fill('?? 41 [-] 42').join(' ');
    const source = (units: number) =>
      `rule Jumpy {\n  strings:\n    $ok = { ${hex(10)} }\n    $h = { ${hex(units)} ( 43 | 44 ) }\n  condition: any of them\n}`;

    expect(checkRuleStructure(source(DEFAULT_RULE_LIMITS.maxHexJumps - 1))).toEqual([]);
    expect(checkRuleStructure(source(DEFAULT_RULE_LIMITS.maxHexJumps))).toEqual([
      expect.objectContaining({
        code: 'hex_string_too_complex',
        message: 'a hex string of rule `Jumpy` has 129 jumps and alternatives; at most 128 are allowed',
        line: 4,
        column: 10,
      }),
    ]);
  });

  it('refuses a source larger than allowed without reading it further', () => {
    const source = `rule Big { strings: $a = "${'a'.repeat(2 * 1024 * 1024)}" condition: $a }`;

    expect(checkRuleStructure(source)).toEqual([
      expect.objectContaining({
        code: 'source_too_large',
        message: 'the source is 2.0 MiB long; at most 256 KiB are allowed',
      }),
    ]);
  });
});
