import { HighlightStyle, StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';
import { tags } from '@lezer/highlight';

/**
 * YARA for the rule editor: a streaming tokenizer (CodeMirror's StreamLanguage), enough to colour what an analyst
 * reads: keywords, rule and section names, `$a`/`#a`/`@a`/`!a` pattern references, text strings with their escapes
 * and modifiers, hex strings with wildcards, jumps and alternatives, regular expressions, comments, numbers with
 * `KB`/`MB`, and module calls such as `pe.imports` or `math.entropy`. The compiler on the API decides what is valid;
 * this only colours.
 */

export interface YaraState {
  /** inside a block comment that did not end on its line */
  comment: boolean;
  /** inside a hex string's braces (which may span lines) */
  hex: boolean;
  /** the next `{` opens a hex string and the next `/` a regular expression (after `=` or `matches`) */
  value: boolean;
  /** the last word was `rule`: the next identifier is the rule's name */
  ruleName: boolean;
  /** the last token was a module name and a `.`: the next identifier is its member */
  member: boolean;
}

const KEYWORDS = new Set([
  'all',
  'and',
  'any',
  'at',
  'contains',
  'defined',
  'endswith',
  'entrypoint',
  'filesize',
  'for',
  'global',
  'icontains',
  'iendswith',
  'iequals',
  'import',
  'in',
  'include',
  'istartswith',
  'matches',
  'none',
  'not',
  'of',
  'or',
  'private',
  'rule',
  'startswith',
  'them',
  'with',
]);

/** Text string modifiers (and a regular expression's) after the closing quote. */
const MODIFIERS = new Set(['ascii', 'base64', 'base64wide', 'fullword', 'nocase', 'private', 'wide', 'xor']);

/** The functions that read integers at an offset: `uint16(0) == 0x5A4D`. */
const BUILTINS = new Set([
  'int8',
  'int16',
  'int32',
  'uint8',
  'uint16',
  'uint32',
  'int8be',
  'int16be',
  'int32be',
  'uint8be',
  'uint16be',
  'uint32be',
]);

export const MODULES = new Set([
  'console',
  'cuckoo',
  'dex',
  'dotnet',
  'elf',
  'hash',
  'lnk',
  'macho',
  'magic',
  'math',
  'pe',
  'string',
  'time',
  'vt',
]);

const SECTIONS = new Set(['meta', 'strings', 'condition']);

function readQuoted(stream: StringStream): void {
  let escaped = false;
  for (;;) {
    const next = stream.next();
    if (next === undefined) return;
    if (next === '"' && !escaped) return;
    escaped = !escaped && next === '\\';
  }
}

function readRegex(stream: StringStream): void {
  let escaped = false;
  for (;;) {
    const next = stream.next();
    if (next === undefined) return;
    if (next === '/' && !escaped) break;
    escaped = !escaped && next === '\\';
  }
  stream.eatWhile(/[is]/);
}

function hexToken(stream: StringStream, state: YaraState): string | null {
  if (stream.eatSpace()) return null;
  if (stream.match('}')) {
    state.hex = false;
    return 'brace';
  }
  if (stream.match('//')) {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.match('/*')) {
    state.comment = true;
    return comment(stream, state);
  }
  if (stream.match(/^\[\s*\d*\s*(-\s*\d*\s*)?\]/)) return 'jump';
  if (stream.match(/^~?(\?\?|\?[0-9a-fA-F]|[0-9a-fA-F]\?)/)) return 'wildcard';
  if (stream.match(/^~?[0-9a-fA-F]{2}/)) return 'hexByte';
  if (stream.match(/^[()|]/)) return 'operator';
  stream.next();
  return 'invalid';
}

function comment(stream: StringStream, state: YaraState): string {
  if (stream.skipTo('*/')) {
    stream.match('*/');
    state.comment = false;
  } else {
    stream.skipToEnd();
  }
  return 'comment';
}

export const yaraParser: StreamParser<YaraState> = {
  name: 'yara',
  startState: () => ({ comment: false, hex: false, value: false, ruleName: false, member: false }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (state.comment) return comment(stream, state);
    if (state.hex) return hexToken(stream, state);
    if (stream.eatSpace()) return null;

    const afterValue = state.value;
    const afterMember = state.member;
    state.value = false;
    state.member = false;

    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match('/*')) {
      state.comment = true;
      return comment(stream, state);
    }
    if (stream.peek() === '"') {
      stream.next();
      readQuoted(stream);
      return 'string';
    }
    if (afterValue && stream.peek() === '{') {
      stream.next();
      state.hex = true;
      return 'brace';
    }
    if (afterValue && stream.peek() === '/') {
      stream.next();
      readRegex(stream);
      return 'regexp';
    }
    if (stream.match(/^[$#@!][A-Za-z0-9_]*\*?/)) return 'pattern';
    if (stream.match(/^0x[0-9a-fA-F]+/) || stream.match(/^0o[0-7]+/)) return 'number';
    if (stream.match(/^\d+(\.\d+)?(KB|MB)?/)) return 'number';
    if (stream.match('==') || stream.match('!=') || stream.match('<=') || stream.match('>=')) return 'operator';
    if (stream.match('=')) {
      state.value = true;
      return 'operator';
    }
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
    if (word) {
      const text = word[0];
      if (state.ruleName) {
        state.ruleName = false;
        return 'ruleName';
      }
      if (afterMember) return 'member';
      if (SECTIONS.has(text) && stream.match(/^\s*:/, false)) return 'section';
      if (text === 'true' || text === 'false') return 'atom';
      if (text === 'matches') {
        state.value = true;
        return 'keyword';
      }
      if (text === 'rule') state.ruleName = true;
      if (KEYWORDS.has(text)) return 'keyword';
      if (MODIFIERS.has(text)) return 'modifier';
      if (BUILTINS.has(text)) return 'builtin';
      if (MODULES.has(text) && stream.peek() === '.') return 'module';
      return 'identifier';
    }
    if (stream.peek() === '.') {
      stream.next();
      state.member = true;
      return 'punctuation';
    }
    if (stream.match(/^[{}]/)) return 'brace';
    if (stream.match(/^[()[\]]/)) return 'paren';
    stream.next();
    return 'operator';
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
  tokenTable: {
    comment: tags.comment,
    string: tags.string,
    regexp: tags.regexp,
    brace: tags.brace,
    paren: tags.paren,
    pattern: tags.special(tags.variableName),
    number: tags.number,
    operator: tags.operator,
    keyword: tags.keyword,
    atom: tags.bool,
    section: tags.heading,
    ruleName: tags.definition(tags.className),
    modifier: tags.modifier,
    builtin: tags.standard(tags.function(tags.variableName)),
    module: tags.namespace,
    member: tags.propertyName,
    identifier: tags.name,
    punctuation: tags.punctuation,
    hexByte: tags.number,
    wildcard: tags.atom,
    jump: tags.special(tags.number),
    invalid: tags.invalid,
  },
};

export const yaraLanguage = StreamLanguage.define(yaraParser);

/** A colour for each scheme, each readable (4.5:1 or more) on the editor's background and its active line. */
const scheme = (light: string, dark: string) => `light-dark(${light}, ${dark})`;

export const yaraHighlightStyle = HighlightStyle.define([
  { tag: tags.comment, color: scheme('#57606a', '#9ca3ab'), fontStyle: 'italic' },
  { tag: tags.string, color: scheme('#0a3069', '#a5d6ff') },
  { tag: tags.regexp, color: scheme('#116329', '#7ee787') },
  { tag: tags.special(tags.variableName), color: scheme('#953800', '#ffa657'), fontWeight: '600' },
  { tag: [tags.number, tags.special(tags.number)], color: scheme('#0550ae', '#79c0ff') },
  { tag: tags.atom, color: scheme('#953800', '#ffa657') },
  { tag: [tags.keyword, tags.bool], color: scheme('#a40e26', '#ff7b72'), fontWeight: '600' },
  { tag: tags.heading, color: scheme('#116329', '#7ee787'), fontWeight: '700' },
  { tag: tags.definition(tags.className), color: scheme('#6639ba', '#d2a8ff'), fontWeight: '700' },
  { tag: tags.modifier, color: scheme('#6639ba', '#d2a8ff') },
  { tag: [tags.namespace, tags.standard(tags.function(tags.variableName))], color: scheme('#0550ae', '#79c0ff') },
  { tag: tags.propertyName, color: scheme('#0550ae', '#79c0ff') },
  { tag: tags.invalid, color: scheme('#a40e26', '#ff7b72'), textDecoration: 'underline wavy' },
]);
