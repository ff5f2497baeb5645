import type { Diagnostic, RuleSource } from './ruleset';

/** Where a line of the combined text comes from. */
export interface SourceLine {
  /** index into the RuleSource list */
  index: number;
  name: string;
  /** 1-based line within that source */
  line: number;
}

/**
 * The rule sources joined into the one text YARA-X compiles (each preceded by a line break, so each starts on a
 * line of its own), and the way back from a line of that text to the source it came from.
 */
export class CombinedSource {
  readonly text: string;
  /** the line of `text` on which each source's first line stands (1-based, increasing) */
  private readonly firstLines: number[] = [];

  constructor(private readonly sources: readonly RuleSource[]) {
    const parts: string[] = [];
    let line = 1;
    for (const { source } of sources) {
      parts.push('\n', source);
      line += 1;
      this.firstLines.push(line);
      line += countLineBreaks(source);
    }
    this.text = parts.join('');
  }

  locate(line: number): SourceLine | undefined {
    let low = 0;
    let high = this.firstLines.length - 1;
    if (high < 0 || line < this.firstLines[0]) return undefined;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.firstLines[mid] <= line) low = mid;
      else high = mid - 1;
    }
    return { index: low, name: this.sources[low].name, line: line - this.firstLines[low] + 1 };
  }

  /**
   * A diagnostic from YARA-X's text for the combined source: "error[E009]: unknown identifier `tru`\n --> line:4:21
   * \n  |\n4 | …\n  |   ^^^ this identifier has not been declared". The message is the title and the primary label;
   * in the detail, the location and the gutter's line numbers are rewritten to the source's own.
   */
  diagnose(fallbackSeverity: Diagnostic['severity'], code: string, compilerText: string): Diagnostic {
    const text = compilerText.replace(/^Compilation error \([^)]*\): /, '').trimEnd();
    const lines = text.split('\n');
    const title = /^(error|warning)\[[^\]]*\]: (.*)$/.exec(lines[0]);
    const severity = (title?.[1] as Diagnostic['severity'] | undefined) ?? fallbackSeverity;
    const label = primaryLabel(lines);
    const summary = title?.[2] ?? lines[0];
    const location = /^\s*--> line:(\d+):(\d+)\s*$/m.exec(text);
    const at = location ? this.locate(Number(location[1])) : undefined;
    return {
      severity,
      code,
      message: label && !summary.includes(label) ? `${summary}: ${label}` : summary,
      detail: at ? this.renumber(lines, at.name) : text,
      ...(at && location ? { source: at.name, line: at.line, column: Number(location[2]) } : {}),
    };
  }

  /** Rewrites " --> line:L:C" and the gutter ("12 | …") to the lines of the sources they fall in. */
  private renumber(lines: string[], sourceName: string): string {
    const gutter = /^( *)(\d*) (\||=)(.*)$/;
    const header = lines.findIndex((l) => /^\s*--> line:\d+:\d+\s*$/.test(l));
    const oldWidth = header < 0 ? 0 : lines[header].indexOf('-->');
    const numbers = new Map<number, number>();
    for (const l of lines.slice(header + 1)) {
      const m = gutter.exec(l);
      if (m && m[1].length + m[2].length === oldWidth && m[2]) {
        numbers.set(Number(m[2]), this.locate(Number(m[2]))?.line ?? Number(m[2]));
      }
    }
    const width = Math.max(1, ...[...numbers.values()].map((n) => String(n).length));
    return lines
      .map((l, i) => {
        if (i === header) {
          const [, , line, column] = /^(\s*)--> line:(\d+):(\d+)/.exec(l) ?? [];
          const local = this.locate(Number(line))?.line ?? Number(line);
          return `${' '.repeat(width)}--> ${sourceName}:${local}:${column}`;
        }
        const m = i > header && header >= 0 ? gutter.exec(l) : null;
        if (!m || m[1].length + m[2].length !== oldWidth) return l;
        const number = m[2] ? String(numbers.get(Number(m[2]))) : '';
        return `${number.padStart(width)} ${m[3]}${m[4]}`;
      })
      .join('\n');
  }
}

/** The text under the `^^^` marks (else the first `---` marks) of a YARA-X report. */
function primaryLabel(lines: string[]): string | undefined {
  const labels = lines
    .map((l) => /^\s*\|[\s|_/\\]*?(\^+|-+)\s+(\S.*?)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  return (labels.find((m) => m[1].startsWith('^')) ?? labels[0])?.[2];
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
