import { StringStream } from '@codemirror/language';
import { yaraParser, type YaraState } from './yara-language';

/** Each line's tokens as `[text, token]`, whitespace left out, the state carried from line to line. */
function tokens(source: string): Array<[string, string]> {
  const state: YaraState = yaraParser.startState!(2);
  const found: Array<[string, string]> = [];
  for (const line of source.split('\n')) {
    const stream = new StringStream(line, 4, 2);
    while (!stream.eol()) {
      stream.start = stream.pos;
      const token = yaraParser.token(stream, state);
      if (stream.pos === stream.start) throw new Error(`no progress at ${stream.pos} of ${line}`);
      if (token) found.push([line.slice(stream.start, stream.pos), token]);
    }
  }
  return found;
}

describe('the YARA highlighting of the rule editor', () => {
  it('names the rule, its sections, keywords and comments', () => {
    expect(tokens('rule Trojan_X : tag // why\n{\n  meta:\n    case = "SD-1"\n  condition:\n    true\n}')).toEqual([
      ['rule', 'keyword'],
      ['Trojan_X', 'ruleName'],
      [':', 'operator'],
      ['tag', 'identifier'],
      ['// why', 'comment'],
      ['{', 'brace'],
      ['meta', 'section'],
      [':', 'operator'],
      ['case', 'identifier'],
      ['=', 'operator'],
      ['"SD-1"', 'string'],
      ['condition', 'section'],
      [':', 'operator'],
      ['true', 'atom'],
      ['}', 'brace'],
    ]);
  });

  it('reads text strings with escapes and modifiers, and pattern references', () => {
    expect(
      tokens('$s1 = "a \\"quoted\\" word" wide nocase xor\n#s1 > 2 and @s1[1] < 100 and !s1 == 4 and any of ($s*)'),
    ).toEqual([
      ['$s1', 'pattern'],
      ['=', 'operator'],
      ['"a \\"quoted\\" word"', 'string'],
      ['wide', 'modifier'],
      ['nocase', 'modifier'],
      ['xor', 'modifier'],
      ['#s1', 'pattern'],
      ['>', 'operator'],
      ['2', 'number'],
      ['and', 'keyword'],
      ['@s1', 'pattern'],
      ['[', 'paren'],
      ['1', 'number'],
      [']', 'paren'],
      ['<', 'operator'],
      ['100', 'number'],
      ['and', 'keyword'],
      ['!s1', 'pattern'],
      ['==', 'operator'],
      ['4', 'number'],
      ['and', 'keyword'],
      ['any', 'keyword'],
      ['of', 'keyword'],
      ['(', 'paren'],
      ['$s*', 'pattern'],
      [')', 'paren'],
    ]);
  });

  it('reads hex strings with wildcards, jumps and alternatives, over several lines', () => {
    expect(tokens('$h = { 4D 5A ?? ?0 [2-8] ( 90 | E8 )\n  ~00 [4] FF }\n$r = /ab+c\\/d/is')).toEqual([
      ['$h', 'pattern'],
      ['=', 'operator'],
      ['{', 'brace'],
      ['4D', 'hexByte'],
      ['5A', 'hexByte'],
      ['??', 'wildcard'],
      ['?0', 'wildcard'],
      ['[2-8]', 'jump'],
      ['(', 'operator'],
      ['90', 'hexByte'],
      ['|', 'operator'],
      ['E8', 'hexByte'],
      [')', 'operator'],
      ['~00', 'hexByte'],
      ['[4]', 'jump'],
      ['FF', 'hexByte'],
      ['}', 'brace'],
      ['$r', 'pattern'],
      ['=', 'operator'],
      ['/ab+c\\/d/is', 'regexp'],
    ]);
  });

  it('reads modules and their members, numbers with units, integer functions and block comments', () => {
    expect(
      tokens(
        'import "pe"\n/* a\nlong note */ pe.number_of_sections > 0x2 and math.entropy(0, filesize) >= 7.5\nfilesize < 2MB and uint16(0) == 0x5A4D',
      ),
    ).toEqual([
      ['import', 'keyword'],
      ['"pe"', 'string'],
      ['/* a', 'comment'],
      ['long note */', 'comment'],
      ['pe', 'module'],
      ['.', 'punctuation'],
      ['number_of_sections', 'member'],
      ['>', 'operator'],
      ['0x2', 'number'],
      ['and', 'keyword'],
      ['math', 'module'],
      ['.', 'punctuation'],
      ['entropy', 'member'],
      ['(', 'paren'],
      ['0', 'number'],
      [',', 'operator'],
      ['filesize', 'keyword'],
      [')', 'paren'],
      ['>=', 'operator'],
      ['7.5', 'number'],
      ['filesize', 'keyword'],
      ['<', 'operator'],
      ['2MB', 'number'],
      ['and', 'keyword'],
      ['uint16', 'builtin'],
      ['(', 'paren'],
      ['0', 'number'],
      [')', 'paren'],
      ['==', 'operator'],
      ['0x5A4D', 'number'],
    ]);
  });

  it('always makes progress, whatever it is given', () => {
    const junk = '"unterminated \\" { [ /* ~~ ?? } ] / $ # @ ! 0x 9KB ÿ 日本 \u0000';
    expect(() => tokens(junk)).not.toThrow();
    expect(() => tokens(`$a = {${junk}`)).not.toThrow();
    expect(() => tokens(`$a = /${junk}`)).not.toThrow();
  });
});
