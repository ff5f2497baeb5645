import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import type { ZipWriterAddDataOptions } from '@zip.js/zip.js';
import {
  DEFAULT_PACK_LIMITS,
  PackContents,
  PackError,
  PackLimits,
  packNameOf,
  readPack,
  SKIP_REASONS,
} from './pack-files';
import { PATH_TOO_LONG, UNSAFE_PATH } from './pack-paths';

configure({ useWebWorkers: false });

const KiB = 1024;
const MiB = 1024 * KiB;
const RULE = 'rule r { condition: true }\n';

/** Small chunks, so that headers and magic bytes straddle chunk boundaries as they do on a real upload. */
function upload(bytes: Uint8Array, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    chunks.push(Buffer.from(bytes.subarray(offset, offset + chunkSize)));
  }
  return Readable.from(chunks);
}

function read(bytes: Uint8Array, fileName: string, limits?: PackLimits): Promise<PackContents> {
  return readPack(upload(bytes), fileName, packNameOf(fileName), limits);
}

async function refusal(promise: Promise<unknown>): Promise<PackError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof PackError)) throw new Error(`expected a PackError, got ${String(error)}`);
  return error;
}

interface ZipItem {
  name: string;
  data?: Uint8Array | string;
  options?: ZipWriterAddDataOptions;
}

async function buildZip(items: ZipItem[]): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter());
  for (const { name, data, options } of items) {
    if (data === undefined) await writer.add(name, undefined, { directory: true });
    else await writer.add(name, new Uint8ArrayReader(Buffer.from(data)), options);
  }
  return writer.close();
}

/**
 * A one-entry deflated ZIP written by hand, so that its headers can lie about the size (zip.js would not write that).
 */
function handMadeZip(name: string, data: Buffer, declaredSize: number, method = 8): Buffer {
  const compressed = method === 8 ? deflateRawSync(data) : data;
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(declaredSize, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(declaredSize, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + compressed.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, compressed, central, fileName, end]);
}

interface TarItem {
  name: string;
  data?: string | Buffer;
  /** ustar typeflag: '0' file, '2' symlink, '5' directory... */
  type?: string;
  prefix?: string;
  linkName?: string;
  /** Written in the size field instead of the data's length. */
  size?: number;
}

function tarHeader({ name, data = '', type = '0', prefix = '', linkName = '', size }: TarItem): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8');
  const octal = (value: number, offset: number, length: number) =>
    field(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  field(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size ?? Buffer.byteLength(data), 124, 12);
  octal(0, 136, 12);
  field(type, 156, 1);
  field(linkName, 157, 100);
  header.write('ustar\x0000', 257, 8, 'latin1');
  field(prefix, 345, 155);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((total, byte) => total + byte, 0);
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

function tarEntry(item: TarItem): Buffer {
  const data = Buffer.from(item.data ?? '');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([tarHeader(item), data, padding]);
}

/** A pax extended header giving the next entry its path. */
function paxPath(path: string): Buffer {
  const body = ` path=${path}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return tarEntry({ name: 'PaxHeaders/x', type: 'x', data: `${length}${body}` });
}

/** A GNU long-name header giving the next entry its path. */
function gnuLongName(path: string): Buffer {
  return tarEntry({ name: '././@LongLink', type: 'L', data: `${path}\0` });
}

const END_OF_TAR = Buffer.alloc(1024);

function tarGz(parts: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...parts, END_OF_TAR]));
}

async function packTempDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('sigdesk-pack-'));
}

describe(readPack.name, () => {
  describe('a plain YARA file', () => {
    it('is one file named like the upload, its BOM stripped', async () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(RULE)]);

      const pack = await read(bytes, 'C:\\fakepath\\My Rules.yar');

      expect(pack).toEqual({
        format: 'yara',
        files: [{ path: 'My Rules.yar', namespace: 'My_Rules/My_Rules', text: RULE, bytes: RULE.length + 3 }],
        skipped: [],
        bytes: RULE.length + 3,
      });
    });

    it('is refused when it is not UTF-8 text', async () => {
      const error = await refusal(read(Buffer.from('rule caf\xe9 { condition: true }', 'latin1'), 'rules.yar'));
      expect([error.code, error.message]).toEqual([
        'not_a_pack',
        'The upload "rules.yar" is neither a ZIP, a tar.gz nor a YARA file: it is not UTF-8 text.',
      ]);
    });

    it('is refused when it holds NUL bytes', async () => {
      const error = await refusal(read(Buffer.from(`${RULE}\0\0`), 'rules.yar'));
      expect(error.code).toBe('not_a_pack');
    });

    it('is refused past maxFileBytes without being read to its end', async () => {
      const input = upload(Buffer.alloc(4 * KiB, 'a'));
      const error = await refusal(readPack(input, 'big.yar', 'big', { ...DEFAULT_PACK_LIMITS, maxFileBytes: KiB }));
      expect(error.code).toBe('file_too_large');
      expect(input.destroyed).toBe(true);
    });

    it('refuses an empty upload', async () => {
      expect((await refusal(read(Buffer.alloc(0), 'rules.yar'))).code).toBe('empty_pack');
    });

    it('refuses a file named like an archive that is not one', async () => {
      expect((await refusal(read(Buffer.from(RULE), 'rules.zip'))).code).toBe('bad_archive');
    });

    it('refuses an uncompressed tar with a hint', async () => {
      const error = await refusal(read(Buffer.concat([tarEntry({ name: 'a.yar', data: RULE }), END_OF_TAR]), 'x.bin'));
      expect([error.code, error.message]).toEqual([
        'not_a_pack',
        'The upload "x.bin" is an uncompressed tar archive: upload a .tar.gz or a .zip instead.',
      ]);
    });
  });

  describe('a ZIP', () => {
    it('takes the YARA files of nested folders and skips every other entry with its reason', async () => {
      const bytes = await buildZip([
        { name: 'rules/' },
        { name: 'rules/b.yar', data: RULE },
        { name: 'rules/sub/A.YARA', data: `\ufeff${RULE}` },
        { name: 'README.md', data: '# pack' },
        { name: '../evil.yar', data: RULE },
        { name: 'C:/windows.yar', data: RULE },
        { name: 'bad\u0007name.yar', data: RULE },
        { name: '__MACOSX/rules/._b.yar', data: 'mac' },
        { name: 'rules/._b.yar', data: 'mac' },
        { name: './rules/b.yar', data: 'a second copy' },
        { name: 'rules\\windows\\c.yar', data: RULE },
        { name: 'latin1.yar', data: Buffer.from('rule caf\xe9 { condition: true }', 'latin1') },
        { name: 'binary.yar', data: Buffer.from([0x4d, 0x5a, 0, 0]) },
        { name: 'empty.yar', data: '' },
        { name: 'secret.yar', data: RULE, options: { password: 'x' } },
        { name: 'link.yar', data: 'rules/b.yar', options: { unixMode: 0o120777 } },
      ]);

      const pack = await read(bytes, 'Vendor Pack v2.zip');

      expect(pack).toEqual({
        format: 'zip',
        files: [
          { path: 'rules/b.yar', namespace: 'Vendor_Pack_v2/b', text: RULE, bytes: RULE.length },
          { path: 'rules/sub/A.YARA', namespace: 'Vendor_Pack_v2/sub/A', text: RULE, bytes: RULE.length + 3 },
          { path: 'rules/windows/c.yar', namespace: 'Vendor_Pack_v2/windows/c', text: RULE, bytes: RULE.length },
        ],
        skipped: [
          { path: 'README.md', reason: SKIP_REASONS.notYara },
          { path: '../evil.yar', reason: UNSAFE_PATH },
          { path: 'C:/windows.yar', reason: UNSAFE_PATH },
          { path: 'bad\\u0007name.yar', reason: UNSAFE_PATH },
          { path: '__MACOSX/rules/._b.yar', reason: SKIP_REASONS.macMetadata },
          { path: 'rules/._b.yar', reason: SKIP_REASONS.macMetadata },
          { path: 'rules/b.yar', reason: SKIP_REASONS.duplicate },
          { path: 'secret.yar', reason: SKIP_REASONS.encrypted },
          { path: 'link.yar', reason: SKIP_REASONS.link },
          { path: 'latin1.yar', reason: SKIP_REASONS.notUtf8 },
          { path: 'binary.yar', reason: SKIP_REASONS.nulBytes },
          { path: 'empty.yar', reason: SKIP_REASONS.empty },
        ],
        bytes: bytes.length,
      });
      expect(await packTempDirs()).toEqual([]);
    });

    it('stops a bomb whose size is declared at the header, before inflating it', async () => {
      const bytes = await buildZip([{ name: 'bomb.yar', data: Buffer.alloc(16 * MiB, 'a') }]);
      expect(bytes.length).toBeLessThan(100 * KiB);

      const error = await refusal(read(bytes, 'bomb.zip', { ...DEFAULT_PACK_LIMITS, maxFileBytes: MiB }));

      expect([error.code, error.message]).toEqual([
        'file_too_large',
        `The rule file "bomb.yar" declares ${16 * MiB} bytes, more than the limit of ${MiB}.`,
      ]);
    });

    it('stops a bomb whose header lies about its size as soon as it passes that size', async () => {
      const bytes = handMadeZip('bomb.yar', Buffer.alloc(16 * MiB, 'a'), 100);

      const error = await refusal(read(bytes, 'bomb.zip', { ...DEFAULT_PACK_LIMITS, maxFileBytes: MiB }));

      expect([error.code, error.message]).toEqual([
        'bad_archive',
        'The ZIP entry "bomb.yar" does not unpack to the 100 bytes it declares (damaged or forged).',
      ]);
      expect(await packTempDirs()).toEqual([]);
    });

    it('refuses an entry that unpacks to less than it declares', async () => {
      const bytes = handMadeZip('short.yar', Buffer.from(RULE), RULE.length + 10);
      expect((await refusal(read(bytes, 'short.zip'))).code).toBe('bad_archive');
    });

    it('reads an honest hand-made ZIP (the helper above is right)', async () => {
      const pack = await read(handMadeZip('ok.yar', Buffer.from(RULE), RULE.length), 'ok.zip');
      expect(pack.files).toEqual([{ path: 'ok.yar', namespace: 'ok/ok', text: RULE, bytes: RULE.length }]);
    });

    it('skips an entry compressed with a method that is not supported', async () => {
      const bzip2 = handMadeZip('bzip2.yar', Buffer.from(RULE), RULE.length, 12);

      const error = await refusal(read(bzip2, 'p.zip'));

      expect([error.code, error.skipped]).toEqual([
        'empty_pack',
        [{ path: 'bzip2.yar', reason: SKIP_REASONS.unsupportedCompression }],
      ]);
    });

    it('refuses more YARA files than maxFiles', async () => {
      const bytes = await buildZip(['a', 'b', 'c', 'd'].map((name) => ({ name: `${name}.yar`, data: RULE })));

      const error = await refusal(read(bytes, 'many.zip', { ...DEFAULT_PACK_LIMITS, maxFiles: 3 }));

      expect([error.code, error.message]).toEqual(['too_many_files', 'The pack contains more than 3 YARA files.']);
    });

    it('counts every entry against maxEntries, skipped ones too', async () => {
      const bytes = await buildZip([{ name: 'a.yar', data: RULE }, { name: 'dir/' }, { name: 'x.txt', data: 'x' }]);

      const error = await refusal(read(bytes, 'many.zip', { ...DEFAULT_PACK_LIMITS, maxEntries: 2 }));

      expect(error.code).toBe('too_many_entries');
    });

    it('refuses rule files adding up to more than maxTotalBytes', async () => {
      const bytes = await buildZip([
        { name: 'a.yar', data: 'a'.repeat(600) },
        { name: 'b.yar', data: 'b'.repeat(600) },
      ]);

      const error = await refusal(read(bytes, 'p.zip', { ...DEFAULT_PACK_LIMITS, maxTotalBytes: 1000 }));

      expect(error.code).toBe('pack_too_large');
    });

    it('refuses an upload larger than maxArchiveBytes while it is received', async () => {
      const bytes = await buildZip([
        { name: 'a.yar', data: Buffer.from(crypto.getRandomValues(new Uint8Array(8000))) },
      ]);

      const error = await refusal(read(bytes, 'p.zip', { ...DEFAULT_PACK_LIMITS, maxArchiveBytes: 4000 }));

      expect([error.code, error.message]).toEqual(['pack_too_large', 'The upload is larger than 4000 bytes.']);
      expect(await packTempDirs()).toEqual([]);
    });

    it('refuses a corrupt ZIP', async () => {
      const garbage = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(300, 0x41)]);
      expect((await refusal(read(garbage, 'broken.zip'))).code).toBe('bad_archive');
      expect(await packTempDirs()).toEqual([]);
    });

    it('refuses a ZIP whose data does not match its checksum', async () => {
      const bytes = Buffer.from(await buildZip([{ name: 'a.yar', data: RULE.repeat(50) }]));
      const dataOffset = 30 + bytes.readUInt16LE(26) + bytes.readUInt16LE(28);
      bytes[dataOffset + 5] ^= 0xff;

      const error = await refusal(read(bytes, 'damaged.zip'));

      expect([error.code, error.message]).toEqual([
        'bad_archive',
        'The ZIP is damaged or is not a valid archive: Invalid CRC32.',
      ]);
    });

    it('refuses a ZIP without any YARA file', async () => {
      const bytes = await buildZip([{ name: 'README.md', data: '# nothing' }, { name: 'docs/' }]);

      const error = await refusal(read(bytes, 'empty.zip'));

      expect([error.code, error.message, error.skipped]).toEqual([
        'empty_pack',
        'The pack contains no YARA file (.yar, .yara) (1 entries skipped).',
        [{ path: 'README.md', reason: SKIP_REASONS.notYara }],
      ]);
    });

    it('refuses a ZIP without any entry', async () => {
      expect((await refusal(read(await buildZip([]), 'empty.zip'))).code).toBe('empty_pack');
    });

    it('gives colliding namespaces a suffix and keeps them within 200 characters', async () => {
      const deep = `${'d'.repeat(150)}/${'f'.repeat(100)}.yar`;
      const bytes = await buildZip([
        { name: 'a b.yar', data: RULE },
        { name: 'a_b.yar', data: RULE },
        { name: 'a+b.yara', data: RULE },
        { name: deep, data: RULE },
        { name: `${deep.slice(0, -4)}g.yar`, data: RULE },
      ]);

      const pack = await read(bytes, 'p.zip');

      const namespaces = pack.files.map((file) => [file.path, file.namespace]);
      expect(namespaces).toEqual([
        ['a b.yar', 'p/a_b'],
        ['a+b.yara', 'p/a_b_2'],
        ['a_b.yar', 'p/a_b_3'],
        [deep, `p/${'d'.repeat(150)}/${'f'.repeat(47)}`],
        [`${deep.slice(0, -4)}g.yar`, `p/${'d'.repeat(150)}/${'f'.repeat(45)}_2`],
      ]);
    });
  });

  describe('a tar.gz', () => {
    it('reads long names (pax, GNU, ustar prefix) and skips links, devices and other files', async () => {
      const paxName = `vendor/${'p'.repeat(120)}/rule.yar`;
      const gnuName = `vendor/${'g'.repeat(120)}/rule.yar`;
      const bytes = tarGz([
        tarEntry({ name: 'vendor/', type: '5' }),
        tarEntry({ name: 'vendor/a.yar', data: RULE }),
        paxPath(paxName),
        tarEntry({ name: 'truncated-name-ignored.yar', data: 'rule p { condition: true }' }),
        gnuLongName(gnuName),
        tarEntry({ name: 'truncated-name-ignored-too.yar', data: 'rule g { condition: true }' }),
        tarEntry({ name: 'deep/file.yara', prefix: 'vendor/with/prefix', data: RULE }),
        tarEntry({ name: 'vendor/link.yar', type: '2', linkName: '/etc/passwd' }),
        tarEntry({ name: 'vendor/hard.yar', type: '1', linkName: 'vendor/a.yar' }),
        tarEntry({ name: 'vendor/fifo.yar', type: '6' }),
        tarEntry({ name: 'vendor/notes.txt', data: 'x'.repeat(700) }),
        tarEntry({ name: '/vendor/abs.yar', data: RULE }),
        tarEntry({ name: 'vendor/../../evil.yar', data: RULE }),
      ]);

      const pack = await read(bytes, 'vendor.tar.gz');

      expect(pack).toEqual({
        format: 'tar.gz',
        files: [
          { path: 'vendor/a.yar', namespace: 'vendor/a', text: RULE, bytes: RULE.length },
          { path: 'vendor/abs.yar', namespace: 'vendor/abs', text: RULE, bytes: RULE.length },
          { path: gnuName, namespace: `vendor/${gnuName.slice(7, -4)}`, text: 'rule g { condition: true }', bytes: 26 },
          { path: paxName, namespace: `vendor/${paxName.slice(7, -4)}`, text: 'rule p { condition: true }', bytes: 26 },
          {
            path: 'vendor/with/prefix/deep/file.yara',
            namespace: 'vendor/with/prefix/deep/file',
            text: RULE,
            bytes: RULE.length,
          },
        ],
        skipped: [
          { path: 'vendor/link.yar', reason: SKIP_REASONS.link },
          { path: 'vendor/hard.yar', reason: SKIP_REASONS.link },
          { path: 'vendor/fifo.yar', reason: SKIP_REASONS.special },
          { path: 'vendor/notes.txt', reason: SKIP_REASONS.notYara },
          { path: 'vendor/../../evil.yar', reason: UNSAFE_PATH },
        ],
        bytes: bytes.length,
      });
    });

    it('skips a name longer than 1024 characters', async () => {
      const long = `${'n/'.repeat(600)}rule.yar`;
      const bytes = tarGz([
        paxPath(long),
        tarEntry({ name: 'long.yar', data: RULE }),
        tarEntry({ name: 'a.yar', data: RULE }),
      ]);

      const pack = await read(bytes, 'p.tgz');

      expect(pack.files.map((file) => file.path)).toEqual(['a.yar']);
      expect(pack.skipped).toEqual([{ path: `${long.slice(0, 200)}…`, reason: PATH_TOO_LONG }]);
    });

    it('skips a non-UTF-8 rule file and keeps the others', async () => {
      const bytes = tarGz([
        tarEntry({ name: 'a.yar', data: RULE }),
        tarEntry({ name: 'b.yar', data: Buffer.from([0xff, 0xfe, 0x72]) }),
      ]);

      const pack = await read(bytes, 'p.tgz');

      expect(pack.files.map((file) => file.path)).toEqual(['a.yar']);
      expect(pack.skipped).toEqual([{ path: 'b.yar', reason: SKIP_REASONS.notUtf8 }]);
    });

    it('refuses a rule file that declares more than maxFileBytes before reading it', async () => {
      const bytes = tarGz([tarEntry({ name: 'big.yar', data: 'a'.repeat(2 * KiB) })]);

      const error = await refusal(read(bytes, 'p.tgz', { ...DEFAULT_PACK_LIMITS, maxFileBytes: KiB }));

      expect([error.code, error.message]).toEqual([
        'file_too_large',
        `The rule file "big.yar" declares ${2 * KiB} bytes, more than the limit of ${KiB}.`,
      ]);
    });

    it('stops a gzip bomb of another file at maxArchiveBytes unpacked', async () => {
      const bytes = tarGz([tarEntry({ name: 'zeros.bin', data: Buffer.alloc(16 * MiB) })]);
      expect(bytes.length).toBeLessThan(100 * KiB);

      const error = await refusal(read(bytes, 'p.tgz', { ...DEFAULT_PACK_LIMITS, maxArchiveBytes: MiB }));

      expect([error.code, error.message]).toEqual(['pack_too_large', `The tar.gz unpacks to more than ${MiB} bytes.`]);
    });

    it('refuses more YARA files than maxFiles', async () => {
      const bytes = tarGz(['a', 'b', 'c'].map((name) => tarEntry({ name: `${name}.yar`, data: RULE })));
      expect((await refusal(read(bytes, 'p.tgz', { ...DEFAULT_PACK_LIMITS, maxFiles: 2 }))).code).toBe(
        'too_many_files',
      );
    });

    it('refuses a truncated gzip', async () => {
      const bytes = tarGz([tarEntry({ name: 'a.yar', data: RULE })]);
      expect((await refusal(read(bytes.subarray(0, bytes.length - 10), 'p.tgz'))).code).toBe('bad_archive');
    });

    it('refuses a tar cut in the middle of a file', async () => {
      const tar = Buffer.concat([tarEntry({ name: 'a.yar', data: RULE }), tarHeader({ name: 'b.yar', size: 5000 })]);
      const error = await refusal(read(gzipSync(tar), 'p.tgz'));
      expect([error.code, error.message]).toEqual([
        'bad_archive',
        'The tar.gz is damaged or is not a tar archive: truncated file data.',
      ]);
    });

    it('refuses a tar without its end-of-archive marker', async () => {
      const error = await refusal(read(gzipSync(tarEntry({ name: 'a.yar', data: RULE })), 'p.tgz'));
      expect(error.code).toBe('bad_archive');
    });

    it('refuses a header whose checksum does not match', async () => {
      const entry = tarEntry({ name: 'a.yar', data: RULE });
      entry[0] = 'b'.charCodeAt(0);
      const error = await refusal(read(tarGz([entry]), 'p.tgz'));
      expect([error.code, error.message]).toEqual([
        'bad_archive',
        'The tar.gz is damaged or is not a tar archive: not a tar archive.',
      ]);
    });

    it('refuses a gzip of something other than a tar', async () => {
      expect((await refusal(read(gzipSync(RULE), 'rules.yar.gz'))).code).toBe('bad_archive');
    });

    it('refuses a tar.gz with no YARA file', async () => {
      const bytes = tarGz([tarEntry({ name: 'docs/', type: '5' }), tarEntry({ name: 'link.yar', type: '2' })]);
      expect((await refusal(read(bytes, 'p.tgz'))).code).toBe('empty_pack');
    });
  });
});

describe('an upload that fails while it is read', () => {
  it.each([
    ['a ZIP', Buffer.from('PK\x03\x04rest')],
    ['a tar.gz', gzipSync(tarEntry({ name: 'a.yar', data: RULE })).subarray(0, 40)],
    ['a YARA file', Buffer.from('rule r {')],
  ])('rejects %s with the stream error, not as a damaged pack', async (_format, head) => {
    const input = Readable.from(
      (async function* () {
        yield head;
        throw new Error('client went away');
      })(),
    );

    const error: unknown = await readPack(input, 'pack', 'pack').catch((reason: unknown) => reason);

    expect(error).toEqual(new Error('client went away'));
    expect(error).not.toBeInstanceOf(PackError);
  });
});

describe(packNameOf.name, () => {
  it.each([
    ['Vendor Rules v2.tar.gz', 'Vendor_Rules_v2'],
    ['C:\\fakepath\\signature-base.zip', 'signature-base'],
    ['rules.tgz', 'rules'],
    ['single.yara', 'single'],
    ['règles.zip', 'r_gles'],
    ['.zip', 'pack'],
    ['..tar.gz', 'pack'],
    ['', 'pack'],
    [`${'x'.repeat(300)}.zip`, 'x'.repeat(64)],
  ])('%s → %s', (fileName, packName) => {
    expect(packNameOf(fileName)).toBe(packName);
  });
});
