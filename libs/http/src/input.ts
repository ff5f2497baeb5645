import { z } from 'zod';

/**
 * The building blocks of every schema that reads input from outside. Whatever passes them can be stored by
 * PostgreSQL as it is: text holds no NUL byte (which `text` and `jsonb` refuse) and no half of a surrogate pair
 * (which UTF-8 cannot encode), numbers fit the columns they are compared with, ids and times are ones PostgreSQL
 * parses. Anything else is a 400 from {@link parseInput}, before any work, never a 500 from the database.
 */

/** The largest value of a PostgreSQL `integer` (database versions, positions, counts). */
export const INT4_MAX = 2_147_483_647;

// C0 controls (NUL, ESC, …), DEL and C1 controls (CSI, …): invisible, and some drive terminals
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// the same, but tab, line feed and carriage return, which free text may hold
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Embeddings, overrides and isolates (not the marks U+200E/F, which right-to-left names legitimately use). */
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/;
/** A surrogate not part of a pair (JSON's `"\ud800"`): with the `u` flag, a pair is one code point and no match. */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * U+FFFD, what the body parsers put in place of bytes that are not UTF-8: the text that came was not what it is
 * now, and storing the replacement would keep a silently changed text.
 */
const REPLACEMENT_CHARACTER = /\ufffd/;

export interface TextOptions {
  max: number;
  /** 1 unless said otherwise: an empty (or, trimmed, blank) text is refused. */
  min?: number;
  /** What to say of an empty text, when 1 is the minimum. */
  empty?: string;
  /** Free text (a description, a message, a note): tabs and line breaks are kept. */
  multiline?: boolean;
  /** Whitespace around is cut unless false (a YARA rule is kept byte for byte). */
  trim?: boolean;
}

/**
 * Text from outside: valid UTF-8 and Unicode, no control characters (but tab and line breaks in multi-line text), and,
 * on one line (a name), no bidirectional overrides that make it read differently from what it is.
 */
export function text(options: TextOptions) {
  const base = options.trim === false ? z.string() : z.string().trim();
  const min = options.min ?? 1;
  return base
    .min(min, min === 1 ? (options.empty ?? 'must not be empty') : `must be at least ${min} characters`)
    .max(options.max)
    .refine((value) => !LONE_SURROGATE.test(value), 'must be valid Unicode text (it holds half of a surrogate pair)')
    .refine(
      (value) => !REPLACEMENT_CHARACTER.test(value),
      'must be valid UTF-8 (bytes that are not UTF-8 were replaced with U+FFFD)',
    )
    .refine(
      (value) => !(options.multiline ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value),
      options.multiline
        ? 'must not contain control characters (NUL, escape, …) other than tabs and line breaks'
        : 'must not contain control characters (NUL, escape, tabs, line breaks, …)',
    )
    .refine(
      (value) => options.multiline || !BIDI_OVERRIDES.test(value),
      'must not contain bidirectional override or isolate characters (U+202A to U+202E, U+2066 to U+2069)',
    );
}

/** A whole number as JSON sends it, within `min`..`max` (by default what an `integer` column holds). */
export function wholeNumber(options: { min?: number; max?: number } = {}) {
  return z
    .number()
    .int()
    .min(options.min ?? 1)
    .max(options.max ?? INT4_MAX);
}

/**
 * A whole number as a query string or a multipart field sends it (decimal digits), within `min`..`max`: the
 * digits are checked first, so `1e308`, `0x10`, ` 7` and `Infinity` are refused, not read as numbers.
 */
export function wholeNumberText(options: { min?: number; max?: number } = {}) {
  const min = options.min ?? 1;
  const max = options.max ?? INT4_MAX;
  return z
    .string()
    .regex(/^\d{1,16}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

export const uuidParam = z.uuid('must be an id this API returned');

export function isUuid(value: unknown): value is string {
  return uuidParam.safeParse(value).success;
}

/**
 * A time as this API writes it in cursors (UTC, years 0000 to 9999, up to microseconds), which PostgreSQL can
 * read: `Date.parse` alone also takes `-271821-04-20T00:00:00Z` (beyond what a `timestamptz` holds) and
 * `2026-02-31T00:00:00Z` (the 3rd of March to JavaScript, an error to PostgreSQL).
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === value.slice(0, 19);
}

/** A whole number within `min`..`max`, for numbers read back from a cursor. */
export function isWholeNumber(value: unknown, min = 1, max = INT4_MAX): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
