/**
 * The rule editor's work on rule text, without the editor: where a diagnostic's line and column fall, the template
 * a change starts from, and turning a sample's string or bytes into a pattern of the rule.
 */

/** What the editor's document offers: CodeMirror's `Text` has it. */
export interface LineDocument {
  lines: number;
  line(n: number): { from: number; to: number; text: string };
  length: number;
}

/**
 * The stretch of the document a diagnostic marks: from its 1-based line and column to the end of the word there
 * (the compiler names a place, not a span). Lines and columns past the end are held to the document; without a
 * line, the first line.
 */
export function diagnosticRange(doc: LineDocument, line?: number, column?: number): { from: number; to: number } {
  const lineNumber = Math.min(Math.max(line ?? 1, 1), doc.lines);
  const at = doc.line(lineNumber);
  const offset = Math.min(Math.max((column ?? 1) - 1, 0), at.text.length);
  const from = at.from + offset;
  const rest = at.text.slice(offset);
  const word = /^[$#@!]?[A-Za-z0-9_]+/.exec(rest)?.[0] ?? rest.slice(0, 1);
  // an empty line still gets a mark one character wide where the document allows it
  const to = Math.min(from + Math.max(word.length, 1), line === undefined ? at.to : doc.length);
  return { from, to: Math.max(to, from) };
}

/** A rule name from a case reference: `SD-2026-000123` gives `SD_2026_000123`. */
export function ruleNameFor(reference: string, prefix: string): string {
  const tail = reference.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return `${prefix}_${tail}`.slice(0, 128);
}

/**
 * The rule a change starts from: its case reference in `meta` (the API refuses a rule without it), a strings
 * section for the patterns picked from the sample, and a condition on them.
 */
export function ruleTemplate(options: { reference: string; name: string; description?: string }): string {
  return [
    `rule ${options.name}`,
    '{',
    '    meta:',
    `        case = "${options.reference}"`,
    `        description = "${escapeText(options.description ?? '')}"`,
    '    strings:',
    '    condition:',
    '        any of them',
    '}',
    '',
  ].join('\n');
}

/** A text for a YARA string literal: backslash, quote and anything not printable ASCII escaped. */
export function escapeText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (char === '\t') out += '\\t';
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    // outside Latin-1 nothing printable comes from the sample's strings; keep its UTF-8 bytes
    else for (const byte of new TextEncoder().encode(char)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A text string pattern: UTF-16LE strings match with `wide`. */
export function textPattern(text: string, encoding: 'ascii' | 'utf16le'): string {
  return `"${escapeText(text)}"${encoding === 'utf16le' ? ' wide' : ''}`;
}

/** A hex string pattern from bytes written as hex: `4d5a90` gives `{ 4D 5A 90 }`. */
export function hexPattern(hex: string): string {
  const pairs = hex.replace(/[^0-9a-fA-F]/g, '').match(/.{2}/g) ?? [];
  return `{ ${pairs.join(' ').toUpperCase()} }`;
}

/**
 * `source` with a new pattern `$<prefix><n> = <pattern>` (the first free number) at the end of its strings
 * section, made before `condition:` when there is none; answers the new text and where the new line ends.
 */
export function withPattern(
  source: string,
  prefix: 's' | 'h',
  pattern: string,
): { text: string; cursor: number; identifier: string } {
  const taken = new Set([...source.matchAll(/\$([A-Za-z0-9_]+)\s*=/g)].map((match) => match[1]));
  let n = 1;
  while (taken.has(`${prefix}${n}`)) n++;
  const identifier = `$${prefix}${n}`;
  const lines = source.split('\n');
  const declaration = `        ${identifier} = ${pattern}`;
  let strings = lines.findIndex((line) => /^\s*strings\s*:\s*$/.test(line));
  if (strings < 0) {
    const condition = lines.findIndex((line) => /^\s*condition\s*:/.test(line));
    const at = condition < 0 ? Math.max(lines.length - 1, 0) : condition;
    lines.splice(at, 0, '    strings:');
    strings = at;
  }
  // after the section's last declaration: up to the next section or the rule's end
  let end = strings + 1;
  while (end < lines.length && !/^\s*(condition|meta)\s*:|^\s*}/.test(lines[end])) end++;
  while (end > strings + 1 && lines[end - 1].trim() === '') end--;
  lines.splice(end, 0, declaration);
  const text = lines.join('\n');
  const cursor = lines.slice(0, end + 1).join('\n').length;
  return { text, cursor, identifier };
}

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/**
 * A line diff of two rule texts (longest common subsequence): what a replacement changes in the rule it replaces.
 * Rules are short; past 2,000 lines each, the texts are shown as all removed and all added.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > 2_000 || b.length > 2_000) {
    return [
      ...a.map((text) => ({ kind: 'removed' as const, text })),
      ...b.map((text) => ({ kind: 'added' as const, text })),
    ];
  }
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i] });
      i++;
      j++;
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) {
      out.push({ kind: 'removed', text: a[i++] });
    } else {
      out.push({ kind: 'added', text: b[j++] });
    }
  }
  while (i < a.length) out.push({ kind: 'removed', text: a[i++] });
  while (j < b.length) out.push({ kind: 'added', text: b[j++] });
  return out;
}

/**
 * A rule of the database made the start of its replacement: the case reference in its `meta` (a section made
 * after the opening brace when it has none), any earlier `case = "…"` line taken out.
 */
export function withCaseMeta(source: string, reference: string): string {
  const lines = source
    .replace(/\s+$/, '')
    .split('\n')
    .filter((line) => !/^\s*case\s*=\s*"[^"]*"\s*$/.test(line));
  const entry = `        case = "${reference}"`;
  const meta = lines.findIndex((line) => /^\s*meta\s*:\s*$/.test(line));
  if (meta >= 0) {
    lines.splice(meta + 1, 0, entry);
  } else {
    const brace = lines.findIndex((line) => line.includes('{'));
    if (brace < 0) return `${source}\n`;
    const at = lines[brace].indexOf('{');
    const after = lines[brace].slice(at + 1).trim();
    lines.splice(brace, 1, lines[brace].slice(0, at + 1), '    meta:', entry, ...(after ? [`    ${after}`] : []));
  }
  return `${lines.join('\n')}\n`;
}
