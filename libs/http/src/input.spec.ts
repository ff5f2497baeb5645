import { decodeCursor, encodeCursor } from './cursor';
import { INT4_MAX, isTimestamp, isUuid, isWholeNumber, text, wholeNumber, wholeNumberText } from './input';

describe('text', () => {
  const name = text({ max: 20 });
  const free = text({ max: 100, multiline: true });

  it('keeps ordinary text in any script, trimmed', () => {
    expect(name.parse('  Acme Logística  ')).toBe('Acme Logística');
    expect(name.parse('شركة אקמה 株式会社 😀')).toBe('شركة אקמה 株式会社 😀');
    expect(free.parse('line one\n\tline two\r\n')).toBe('line one\n\tline two');
  });

  it.each([
    ['a NUL byte', 'Evil\u0000Corp'],
    ['an escape sequence', 'red \u001b[31m'],
    ['DEL', 'a\u007fb'],
    ['a C1 control (CSI)', 'a\u009b31m'],
    ['a tab', 'a\tb'],
    ['a line break', 'a\nb'],
    ['half of a surrogate pair', 'a\ud800b'],
    ['the replacement of bytes that were not UTF-8', 'Bad \ufffd\ufffd'],
    ['the other half alone', 'a\udc00'],
    ['a right-to-left override', 'invoice\u202etxt.exe'],
    ['a first-strong isolate', 'a\u2068b'],
    ['only blanks', '   '],
    ['too many characters', 'x'.repeat(21)],
  ])('refuses %s in a name', (_, value) => {
    expect(name.safeParse(value).success).toBe(false);
  });

  it.each([
    ['a NUL byte', 'missed dropper\u0000'],
    ['an escape sequence', '\u001b[2J'],
    ['a vertical tab', 'a\u000bb'],
    ['a C1 control', 'a\u0085b'],
    ['half of a surrogate pair', 'a\ud83d'],
    ['the replacement of bytes that were not UTF-8', 'caf\ufffd'],
  ])('refuses %s in free text', (_, value) => {
    expect(free.safeParse(value).success).toBe(false);
  });

  it('keeps right-to-left marks and overrides in free text, which right-to-left writing uses', () => {
    expect(free.parse('\u200fשלום\u202b text')).toBe('\u200fשלום\u202b text');
  });

  it('keeps a rule byte for byte when told not to trim, and lets an optional note be empty', () => {
    expect(text({ max: 50, multiline: true, trim: false }).parse('\nrule a { condition: true }\n')).toBe(
      '\nrule a { condition: true }\n',
    );
    expect(text({ max: 10, min: 0 }).parse('')).toBe('');
  });

  it('says what is wrong with an empty text in the words it is given', () => {
    const result = text({ max: 10, empty: 'must explain the verdict' }).safeParse(' ');
    expect(result.error?.issues[0].message).toBe('must explain the verdict');
  });
});

describe('wholeNumberText', () => {
  const version = wholeNumberText();

  it('reads decimal digits within the range of an integer column', () => {
    expect(version.parse('100')).toBe(100);
    expect(version.parse(String(INT4_MAX))).toBe(INT4_MAX);
  });

  it.each([
    '0',
    '2147483648',
    '9999999999',
    '99999999999999999999',
    '1e308',
    '0x10',
    ' 7',
    '-1',
    '1.5',
    'Infinity',
    '',
  ])('refuses %j', (value) => {
    expect(version.safeParse(value).success).toBe(false);
  });

  it('takes its own bounds', () => {
    const limit = wholeNumberText({ max: 100 }).default(25);
    expect(limit.parse(undefined)).toBe(25);
    expect(limit.parse('100')).toBe(100);
    expect(limit.safeParse('101').success).toBe(false);
  });
});

describe('wholeNumber', () => {
  it.each([0, -1, 1.5, INT4_MAX + 1, 1e308, Number.POSITIVE_INFINITY, Number.NaN])('refuses %p', (value) => {
    expect(wholeNumber().safeParse(value).success).toBe(false);
  });

  it('takes whole numbers within its bounds', () => {
    expect(wholeNumber({ min: 1, max: 7 }).parse(7)).toBe(7);
  });
});

describe('isTimestamp', () => {
  it.each(['2026-11-30T10:00:00.000Z', '2026-11-30T10:00:00Z', '2026-11-30T10:00:00.123456Z', '0000-01-01T00:00:00Z'])(
    'takes %s',
    (value) => {
      expect(isTimestamp(value)).toBe(true);
    },
  );

  it.each([
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '2026-02-31T00:00:00.000Z',
    '2026-11-30T24:00:00.000Z',
    '2026-11-30',
    '2026-11-30T10:00:00+01:00',
    'Tue, 01 Dec 2026 10:00:00 GMT',
    1764496800000,
    null,
  ])('refuses %p', (value) => {
    expect(isTimestamp(value)).toBe(false);
  });
});

describe('isUuid and isWholeNumber', () => {
  it('tells ids PostgreSQL reads from look-alikes', () => {
    expect(isUuid('2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e11')).toBe(true);
    expect(isUuid('-'.repeat(36))).toBe(false);
    expect(isUuid('2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e1')).toBe(false);
  });

  it('bounds numbers read back from a cursor', () => {
    expect(isWholeNumber(4, 1, 4)).toBe(true);
    expect(isWholeNumber(1e308, 1, 4)).toBe(false);
    expect(isWholeNumber('2', 1, 4)).toBe(false);
  });
});

describe(decodeCursor.name, () => {
  const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('reads back what it wrote', () => {
    const position = { createdAt: '2026-11-30T10:00:00.000Z', id: '2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e11' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['an id of 36 dashes', forge(['2026-11-30T10:00:00.000Z', '-'.repeat(36)])],
    ['a time PostgreSQL cannot hold', forge(['-271821-04-20T00:00:00.000Z', '2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e11'])],
    ['a day that does not exist', forge(['2026-02-31T00:00:00.000Z', '2f1e6a52-6f0e-4a4e-9d53-6b0c1f2a9e11'])],
    ['no JSON', 'not-a-cursor'],
    ['null', forge(null)],
  ])('refuses %s as an invalid cursor', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
  });
});
