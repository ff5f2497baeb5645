/**
 * A lexical reading of YARA source, just good enough to find rule declarations and to tell whether a source is
 * complete on its own. It is not a parser: YARA-X remains the judge of what compiles.
 */

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based, in UTF-16 code units */
  column: number;
}

export interface RuleDeclaration extends Position {
  name: string;
  /** `global` and `private`, as written before `rule` */
  modifiers: Array<'global' | 'private'>;
  /** where the `rule` keyword starts in the source (a UTF-16 index): a modifier goes in before it */
  keywordAt: number;
}

export interface RuleTextReading {
  /** `rule <name>` declarations, in order (private and global rules included). */
  declarations: RuleDeclaration[];
  /** Where a block comment opens that the source never closes. */
  unclosedComment?: Position;
  /** `{` minus `}` outside comments, strings and regular expressions: 0 for a complete source. */
  braceBalance: number;
  /** The source with its comments, strings and regular expressions blanked: what is left to count and measure. */
  blanked: string;
}

// `rule` is a reserved word, so outside comments, strings and regular expressions it only ever starts a declaration;
// the look-behind keeps `$rule`, `#rule`, `@rule`, `!rule` and `module.rule` out.
const DECLARATION = /(?<![\w$#@!.])((?:(?:global|private)\s+)*)rule\s+([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Blanks comments, text strings and regular expressions (with spaces, keeping line breaks and so positions), and
 * reads what is left. In YARA `/` only starts a comment or a regular expression (division is `\`), and neither
 * strings nor regular expressions span lines.
 */
export function readRuleText(source: string): RuleTextReading {
  const blanked = source.split('');
  let braceBalance = 0;
  let unclosedComment: number | undefined;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (blanked[k] !== '\n' && blanked[k] !== '\r') blanked[k] = ' ';
  };

  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '{') braceBalance++;
    else if (c === '}') braceBalance--;
    else if (c === '/' && source[i + 1] === '/') {
      const end = indexOrEnd(source, '\n', i);
      blank(i, end);
      i = end - 1;
    } else if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) unclosedComment = i;
      const end = close < 0 ? source.length : close + 2;
      blank(i, end);
      i = end - 1;
    } else if (c === '"' || c === '/') {
      const end = endOfLiteral(source, i, c);
      blank(i, end);
      i = end - 1;
    }
  }

  const text = blanked.join('');
  const lineStarts = lineStartsOf(source);
  const declarations: RuleDeclaration[] = [];
  for (const match of text.matchAll(DECLARATION)) {
    const nameAt = (match.index ?? 0) + match[0].length - match[2].length;
    const modifiers = match[1].split(/\s+/).filter((m): m is 'global' | 'private' => m === 'global' || m === 'private');
    const keywordAt = (match.index ?? 0) + match[1].length;
    declarations.push({ name: match[2], modifiers, keywordAt, ...positionOf(lineStarts, nameAt) });
  }
  return {
    declarations,
    braceBalance,
    blanked: text,
    ...(unclosedComment === undefined ? {} : { unclosedComment: positionOf(lineStarts, unclosedComment) }),
  };
}

/** The index just past a `"…"` string or `/…/` regular expression opening at `start` (or the end of its line). */
function endOfLiteral(source: string, start: number, quote: string): number {
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (c === '\n') return i;
  }
  return source.length;
}

function indexOrEnd(source: string, search: string, from: number): number {
  const at = source.indexOf(search, from);
  return at < 0 ? source.length : at;
}

export function lineStartsOf(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function positionOf(lineStarts: number[], index: number): Position {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= index) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: index - lineStarts[low] + 1 };
}
