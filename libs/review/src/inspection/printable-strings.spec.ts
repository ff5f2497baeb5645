import { MAX_STRING_CHARS, printableStrings } from './printable-strings';

const utf16 = (text: string) => Buffer.from(text, 'utf16le');

describe('printableStrings', () => {
  it('finds ASCII runs at their file offsets, and leaves out the short ones', () => {
    const bytes = Buffer.concat([
      Buffer.from([0x00, 0x01]),
      Buffer.from('kernel32.dll'),
      Buffer.from([0xff]),
      Buffer.from('abc'),
      Buffer.from([0x00]),
      Buffer.from('http://evil.example/payload\tx'),
    ]);
    expect(printableStrings(bytes, 1000, 6)).toEqual([
      { offset: 1002, encoding: 'ascii', byteLength: 12, text: 'kernel32.dll' },
      { offset: 1019, encoding: 'ascii', byteLength: 29, text: 'http://evil.example/payload\tx' },
    ]);
  });

  it('finds UTF-16LE text on either alignment, as strings -el does', () => {
    const bytes = Buffer.concat([
      Buffer.from([0x90]),
      utf16('CreateRemoteThread'),
      Buffer.from([0x90, 0x90]),
      utf16('cmd.exe /c'),
    ]);
    const wide = printableStrings(bytes, 0, 6).filter((s) => s.encoding === 'utf16le');
    expect(wide).toEqual([
      { offset: 1, encoding: 'utf16le', byteLength: 36, text: 'CreateRemoteThread' },
      { offset: 39, encoding: 'utf16le', byteLength: 20, text: 'cmd.exe /c' },
    ]);
  });

  it('keeps a run cut by the end of the window, and cuts a very long run', () => {
    expect(printableStrings(Buffer.from('\x00\x00tail-of-window'), 0, 4)).toEqual([
      { offset: 2, encoding: 'ascii', byteLength: 14, text: 'tail-of-window' },
    ]);
    const long = printableStrings(Buffer.alloc(10_000, 0x41), 0, 4);
    expect(long).toEqual([{ offset: 0, encoding: 'ascii', byteLength: 10_000, text: 'A'.repeat(MAX_STRING_CHARS) }]);
  });

  it('finds nothing in bytes without text', () => {
    expect(printableStrings(Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]), 0, 4)).toEqual([]);
    expect(printableStrings(new Uint8Array(0), 0, 4)).toEqual([]);
  });
});
