import {
  archiveEntryFileName,
  archiveEntryPath,
  MAX_ARCHIVE_PATH_LENGTH,
  MAX_SAMPLE_NAME_LENGTH,
  printableName,
  sampleFileName,
  visibleName,
} from './sample-names';

const length = (value: string) => [...value].length;

describe(sampleFileName.name, () => {
  it('keeps an ordinary name as it is, in any script', () => {
    expect(sampleFileName('invoice 2026.pdf.exe')).toBe('invoice 2026.pdf.exe');
    expect(sampleFileName('фактура_請求書_חשבונית.docx')).toBe('фактура_請求書_חשבונית.docx');
    expect(sampleFileName('../../etc/passwd')).toBe('../../etc/passwd');
  });

  it.each([
    ['a right-to-left override (exe.txt shown as txt.exe)', 'invoice\u202etxt.exe', 'invoicetxt.exe'],
    ['left-to-right and right-to-left marks', '\u200einvoice\u200f.exe', 'invoice.exe'],
    ['embeddings and the pop', '\u202a\u202b\u202cdoc\u202d.exe', 'doc.exe'],
    ['isolates', '\u2066\u2067\u2068a\u2069.exe', 'a.exe'],
    ['the Arabic letter mark', 'a\u061c.exe', 'a.exe'],
    ['zero-width characters and the byte order mark', '\ufeffa\u200b\u200c\u200d.exe', 'a.exe'],
    ['C0 controls', 'a\u0000b\u0007c\u001b[31m.exe', 'abc[31m.exe'],
    ['DEL and C1 controls', 'a\u007f\u0085\u009b.exe', 'a.exe'],
    ['line and paragraph separators', 'a\u2028b\u2029.exe', 'ab.exe'],
    ['a lone surrogate', 'a\ud800.exe', 'a.exe'],
    ['tag characters', 'a\u{e0041}\u{e007f}.exe', 'a.exe'],
  ])('strips %s', (_, name, expected) => {
    expect(sampleFileName(name)).toBe(expected);
  });

  it.each([undefined, '', '   ', '\u202e', '\u2066\u200f\u0000'])('names %p "sample"', (name) => {
    expect(sampleFileName(name)).toBe('sample');
  });

  it('caps a name at 255 characters, keeping its end (the extension) and no character cut in two', () => {
    const capped = sampleFileName(`${'a'.repeat(60_000)}.exe`);
    expect(length(capped)).toBe(MAX_SAMPLE_NAME_LENGTH);
    expect(capped.startsWith('aaaa')).toBe(true);
    expect(capped.endsWith('a.exe')).toBe(true);
    expect(capped).toContain('…');

    const emoji = sampleFileName(`${'😀'.repeat(300)}.exe`);
    expect(length(emoji)).toBe(MAX_SAMPLE_NAME_LENGTH);
    expect(emoji).not.toMatch(/\p{Cs}/u);
    expect(emoji.endsWith('😀.exe')).toBe(true);
  });

  it('keeps a name of exactly 255 characters whole', () => {
    const name = `${'b'.repeat(251)}.exe`;
    expect(sampleFileName(name)).toBe(name);
  });
});

describe(archiveEntryPath.name, () => {
  it('joins the archive and the entry path', () => {
    expect(archiveEntryPath('samples.zip', 'dir/sub/a.exe')).toBe('samples.zip!dir/sub/a.exe');
    expect(archiveEntryPath('samples.zip!inner.zip', 'a.exe')).toBe('samples.zip!inner.zip!a.exe');
    expect(archiveEntryPath('samples.zip', 'dir\\a.exe')).toBe('samples.zip!dir/a.exe');
  });

  it('strips hidden characters from every part, and names an empty file name "sample"', () => {
    expect(archiveEntryPath('s.zip', 'docs/report\u202efdp.scr')).toBe('s.zip!docs/reportfdp.scr');
    expect(archiveEntryPath('s.zip', '\u202e/\u001b[2Ja.bin')).toBe('s.zip![2Ja.bin');
    expect(archiveEntryPath('s.zip', 'docs/\u202e\u2066')).toBe('s.zip!docs/sample');
  });

  it('caps the path at 1,024 characters, keeping where it starts and the file name it ends with', () => {
    const path = archiveEntryPath('samples.zip', `${'d/'.repeat(10_000)}${'a'.repeat(40_000)}.exe`);
    expect(length(path)).toBe(MAX_ARCHIVE_PATH_LENGTH);
    expect(path.startsWith('samples.zip!d/d/')).toBe(true);
    expect(path.endsWith('aaa.exe')).toBe(true);
  });
});

describe(archiveEntryFileName.name, () => {
  it('is the visible base name of the entry', () => {
    expect(archiveEntryFileName('dir/sub/a.exe')).toBe('a.exe');
    expect(archiveEntryFileName('dir\\b.exe')).toBe('b.exe');
    expect(archiveEntryFileName('dir/\u202e')).toBe('sample');
    expect(length(archiveEntryFileName(`d/${'x'.repeat(70_000)}`))).toBe(MAX_SAMPLE_NAME_LENGTH);
  });
});

describe(visibleName.name, () => {
  it('never answers more than it is allowed, however short the limit', () => {
    for (const max of [1, 2, 3, 10, 200]) {
      expect(length(visibleName('x'.repeat(1000), max))).toBeLessThanOrEqual(max);
    }
  });
});

describe(printableName.name, () => {
  it('writes hidden characters out, so that a message shows them without a terminal acting on them', () => {
    expect(printableName('docs/a\u0000.exe', 200)).toBe('docs/a\\u0000.exe');
    expect(printableName('invoice\u202etxt.exe', 200)).toBe('invoice\\u202Etxt.exe');
    expect(printableName('tag\u{e0041}', 200)).toBe('tag\\uE0041');
  });

  it('is short however long the name', () => {
    expect(length(printableName('\u202e'.repeat(60_000), 200))).toBe(200);
  });
});
