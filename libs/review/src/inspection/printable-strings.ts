/** A run of printable text in a sample: where it starts (in the file), how it is encoded, and the text. */
export interface PrintableString {
  offset: number;
  encoding: 'ascii' | 'utf16le';
  /** the whole run's length in bytes (its text may be cut at MAX_STRING_CHARS) */
  byteLength: number;
  text: string;
}

/** The longest text kept of one string: a pattern is picked from a string, not a page of it. */
export const MAX_STRING_CHARS = 512;

const isPrintable = (byte: number) => (byte >= 0x20 && byte < 0x7f) || byte === 0x09;

/**
 * The printable runs of `bytes` (a window of a sample that starts at `baseOffset` in the file), as `strings` and
 * `strings -el` find them: ASCII runs and UTF-16LE runs of ASCII characters, at least `minLength` characters long,
 * in the order they start. A run cut by the window's end is kept as far as it goes; a run longer than
 * {@link MAX_STRING_CHARS} is cut there. Reads the bytes only: nothing of the sample is ever run.
 */
export function printableStrings(bytes: Uint8Array, baseOffset: number, minLength: number): PrintableString[] {
  const found: PrintableString[] = [];
  const keep = (start: number, end: number, text: string, encoding: PrintableString['encoding']) => {
    if ((encoding === 'ascii' ? end - start : (end - start) / 2) >= minLength) {
      found.push({
        offset: baseOffset + start,
        encoding,
        byteLength: end - start,
        text: text.slice(0, MAX_STRING_CHARS),
      });
    }
  };

  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && isPrintable(bytes[i])) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      const text = Buffer.from(bytes.subarray(start, Math.min(i, start + MAX_STRING_CHARS))).toString('latin1');
      keep(start, i, text, 'ascii');
      start = -1;
    }
  }

  // UTF-16LE: a printable byte then a zero, on either alignment
  for (const alignment of [0, 1]) {
    let runStart = -1;
    let text = '';
    for (let i = alignment; i + 1 <= bytes.length; i += 2) {
      const printable = i + 1 < bytes.length && isPrintable(bytes[i]) && bytes[i + 1] === 0;
      if (printable) {
        if (runStart < 0) runStart = i;
        if (text.length < MAX_STRING_CHARS) text += String.fromCharCode(bytes[i]);
      } else if (runStart >= 0) {
        keep(runStart, i, text, 'utf16le');
        runStart = -1;
        text = '';
      }
    }
    if (runStart >= 0) keep(runStart, runStart + text.length * 2, text, 'utf16le');
  }
  return found.sort((a, b) => a.offset - b.offset || (a.encoding < b.encoding ? -1 : 1));
}
