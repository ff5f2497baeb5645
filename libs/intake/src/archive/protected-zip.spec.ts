import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchiveLimits } from '@sigdesk/config';
import {
  configure,
  Entry,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipReaderGetEntriesOptions,
  ZipWriter,
  ZipWriterConstructorOptions,
} from '@zip.js/zip.js';
import type { SpooledFile } from '../files/spool';
import { ArchiveError } from './archive-error';
import {
  isProtectedZip,
  SAMPLE_EXCHANGE_PASSWORD,
  startsWithEncryptedZipEntry,
  unpackProtectedZip,
} from './protected-zip';

configure({ useWebWorkers: false });

const MiB = 1024 * 1024;
const LIMITS: ArchiveLimits = { maxEntries: 50, maxUnpackedBytes: 200 * MiB, maxRatio: 100_000, maxNesting: 2 };
const ZIP_CRYPTO: ZipWriterConstructorOptions = { password: SAMPLE_EXCHANGE_PASSWORD, zipCrypto: true };
const AES: ZipWriterConstructorOptions = { password: SAMPLE_EXCHANGE_PASSWORD, encryptionStrength: 3 };

interface ZipItem {
  name: string;
  data?: Uint8Array | string;
}

let dir: string;
let workDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'protected-zip-'));
  workDir = await mkdtemp(join(dir, 'work-'));
});

afterEach(async () => {
  jest.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function buildZip(items: ZipItem[], options: ZipWriterConstructorOptions = {}): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), options);
  for (const { name, data } of items) {
    if (data === undefined) await writer.add(name, undefined, { directory: true });
    else await writer.add(name, new Uint8ArrayReader(typeof data === 'string' ? Buffer.from(data) : data));
  }
  return writer.close();
}

/** Stands for the upload once spooled: the archive sits in workDir like in production. */
async function spooled(bytes: Uint8Array, fileName = 'samples.zip'): Promise<SpooledFile> {
  const path = join(workDir, 'archive');
  await writeFile(path, bytes);
  return { path, fileName, sha256: sha256(bytes), size: bytes.length, type: 'zip' };
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Everything left in workDir apart from the archive itself, to prove refusals clean up after themselves. */
async function leftovers(): Promise<string[]> {
  return (await readdir(workDir)).filter((name) => name !== 'archive');
}

async function refusal(promise: Promise<unknown>): Promise<ArchiveError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ArchiveError)) throw new Error(`expected an ArchiveError, got ${String(error)}`);
  return error;
}

/** Simulates a forged central directory that zip.js would not catch: every entry claims to unpack to 1 byte. */
function makeDeclaredSizesLie(): void {
  const original = ZipReader.prototype.getEntriesGenerator;
  jest.spyOn(ZipReader.prototype, 'getEntriesGenerator').mockImplementation(function (
    this: ZipReader<unknown>,
    options?: ZipReaderGetEntriesOptions,
  ) {
    const entries = original.call(this, options);
    return (async function* (): AsyncGenerator<Entry, boolean> {
      for await (const entry of entries) yield { ...entry, uncompressedSize: Math.min(entry.uncompressedSize, 1) };
      return true;
    })();
  });
}

describe(unpackProtectedZip.name, () => {
  const program = randomBytes(64 * 1024);
  const note = 'analyst note: sample from phishing campaign\n';

  it.each([
    ['ZipCrypto', ZIP_CRYPTO],
    ['AES-128', { ...AES, encryptionStrength: 1 as const }],
    ['AES-256', AES],
  ])('unpacks every file of a %s archive with its hashes and archive path', async (_, options) => {
    const zip = await buildZip(
      [{ name: 'dropper.exe', data: program }, { name: 'docs/' }, { name: 'docs/readme.txt', data: note }],
      options,
    );

    const files = await unpackProtectedZip(await spooled(zip), workDir, LIMITS);

    const byName = new Map(files.map((file) => [file.fileName, file]));
    expect([...byName.keys()].sort()).toEqual(['dropper.exe', 'readme.txt']);
    expect(byName.get('dropper.exe')).toMatchObject({
      archivePath: 'samples.zip!dropper.exe',
      sha256: sha256(program),
      size: program.length,
    });
    expect(byName.get('readme.txt')).toMatchObject({
      archivePath: 'samples.zip!docs/readme.txt',
      sha256: sha256(note),
      type: 'text',
    });
    for (const file of files) {
      expect(file.path.startsWith(workDir)).toBe(true);
      expect(sha256(await readFile(file.path))).toBe(file.sha256);
    }
  });

  it('skips empty files, which are not samples', async () => {
    const zip = await buildZip(
      [
        { name: 'empty.txt', data: '' },
        { name: 'a.exe', data: program },
      ],
      ZIP_CRYPTO,
    );

    const files = await unpackProtectedZip(await spooled(zip), workDir, LIMITS);

    expect(files.map((file) => file.fileName)).toEqual(['a.exe']);
    expect(await leftovers()).toHaveLength(1);
  });

  it('builds the archive path on the archive path of an archive that was itself unpacked', async () => {
    const zip = await buildZip([{ name: 'a.exe', data: program }], AES);
    const archive = { ...(await spooled(zip, 'inner.zip')), archivePath: 'outer.zip!inner.zip' };

    const [file] = await unpackProtectedZip(archive, workDir, LIMITS);

    expect(file.archivePath).toBe('outer.zip!inner.zip!a.exe');
  });

  it.each([
    ['ZipCrypto', { ...ZIP_CRYPTO, password: 'malware' }],
    ['AES', { ...AES, password: 'malware' }],
  ])('refuses a %s archive protected with another password and names the expected one', async (_, options) => {
    const zip = await buildZip([{ name: 'a.exe', data: program }], options);

    const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, LIMITS));

    expect(error.code).toBe('archive_wrong_password');
    expect(error.message).toContain('"infected"');
    expect(error.details).toMatchObject({ archive: 'samples.zip', entry: 'a.exe' });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an archive with more files than allowed before extracting any', async () => {
    const items = Array.from({ length: 5 }, (_, index) => ({ name: `sample-${index}.bin`, data: randomBytes(100) }));
    const zip = await buildZip(items, ZIP_CRYPTO);

    const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxEntries: 4 }));

    expect(error.code).toBe('archive_too_many_entries');
    expect(error.details).toMatchObject({ maxEntries: 4 });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a zip bomb whose declared size exceeds the unpacked size limit before extracting anything', async () => {
    const zip = await buildZip([{ name: 'zeros.bin', data: new Uint8Array(50 * MiB) }], AES);

    const error = await refusal(
      unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxUnpackedBytes: 10 * MiB }),
    );

    expect(error.code).toBe('archive_too_large');
    expect(error.details).toMatchObject({ entry: 'zeros.bin', maxUnpackedBytes: 10 * MiB });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an entry whose declared compression ratio exceeds the limit', async () => {
    const zip = await buildZip([{ name: 'zeros.bin', data: new Uint8Array(4 * MiB) }], ZIP_CRYPTO);

    const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxRatio: 10 }));

    expect(error.code).toBe('archive_ratio_exceeded');
    expect(error.details).toMatchObject({ entry: 'zeros.bin', maxRatio: 10 });
  });

  it('accepts highly compressible small files whatever their ratio', async () => {
    const text = 'A'.repeat(512 * 1024);
    const zip = await buildZip([{ name: 'padding.txt', data: text }], ZIP_CRYPTO);

    const [file] = await unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxRatio: 2 });

    expect(file.sha256).toBe(sha256(text));
  });

  it('stops extracting once the bytes actually produced pass the size limit, whatever the declared sizes', async () => {
    const zip = await buildZip(
      [
        { name: 'first.exe', data: program },
        { name: 'zeros.bin', data: new Uint8Array(50 * MiB) },
      ],
      AES,
    );
    makeDeclaredSizesLie();

    const error = await refusal(
      unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxUnpackedBytes: 10 * MiB }),
    );

    expect(error.code).toBe('archive_too_large');
    expect(error.details).toMatchObject({ entry: 'zeros.bin' });
    // The partial output and the file extracted before it are both gone.
    expect(await leftovers()).toEqual([]);
  });

  it('stops extracting once the bytes actually produced pass the ratio limit, whatever the declared sizes', async () => {
    const zip = await buildZip([{ name: 'zeros.bin', data: new Uint8Array(50 * MiB) }], ZIP_CRYPTO);
    makeDeclaredSizesLie();

    const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, { ...LIMITS, maxRatio: 10 }));

    expect(error.code).toBe('archive_ratio_exceeded');
    expect(await leftovers()).toEqual([]);
  });

  it.each(['../../etc/passwd', '/etc/passwd', 'C:/Windows/evil.exe', '..\\..\\boot.ini', 'docs/a\0.exe', 'a/.. /b'])(
    'refuses the unsafe entry name %j before extracting anything',
    async (name) => {
      const zip = await buildZip(
        [
          { name: 'first.exe', data: program },
          { name, data: 'root:x:0:0' },
        ],
        ZIP_CRYPTO,
      );

      const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, LIMITS));

      expect(error.code).toBe('archive_unsafe_path');
      // named as a person can read it: the NUL written out
      expect(error.details).toMatchObject({ entry: name.replace('\0', '\\u0000') });
      expect(await leftovers()).toEqual([]);
    },
  );

  it('returns the files of a nested protected archive instead of the nested archive', async () => {
    const inner = await buildZip([{ name: 'payload.dll', data: program }], AES);
    const outer = await buildZip(
      [
        { name: 'note.txt', data: note },
        { name: 'stage2/inner.zip', data: inner },
      ],
      ZIP_CRYPTO,
    );

    const files = await unpackProtectedZip(await spooled(outer), workDir, { ...LIMITS, maxNesting: 1 });

    expect(files.map((file) => file.archivePath).sort()).toEqual([
      'samples.zip!note.txt',
      'samples.zip!stage2/inner.zip!payload.dll',
    ]);
    expect(files.find((file) => file.fileName === 'payload.dll')?.sha256).toBe(sha256(program));
    // The nested archive itself is not kept.
    expect((await leftovers()).sort()).toEqual(files.map((file) => file.path.slice(workDir.length + 1)).sort());
  });

  it('refuses protected archives nested deeper than allowed', async () => {
    const innermost = await buildZip([{ name: 'payload.dll', data: program }], AES);
    const middle = await buildZip([{ name: 'innermost.zip', data: innermost }], AES);
    const outer = await buildZip(
      [
        { name: 'note.txt', data: note },
        { name: 'middle.zip', data: middle },
      ],
      ZIP_CRYPTO,
    );

    const error = await refusal(unpackProtectedZip(await spooled(outer), workDir, { ...LIMITS, maxNesting: 1 }));

    expect(error.code).toBe('archive_nested_too_deep');
    expect(error.details).toMatchObject({ archive: 'samples.zip!middle.zip', entry: 'innermost.zip', maxNesting: 1 });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses any nested protected archive when nesting is not allowed', async () => {
    const inner = await buildZip([{ name: 'payload.dll', data: program }], AES);
    const outer = await buildZip([{ name: 'inner.zip', data: inner }], ZIP_CRYPTO);

    const error = await refusal(unpackProtectedZip(await spooled(outer), workDir, { ...LIMITS, maxNesting: 0 }));

    expect(error.code).toBe('archive_nested_too_deep');
  });

  it('counts the entry limit across nested archives', async () => {
    const inner = await buildZip(
      [
        { name: 'a.dll', data: randomBytes(100) },
        { name: 'b.dll', data: randomBytes(100) },
      ],
      AES,
    );
    const outer = await buildZip(
      [
        { name: 'c.exe', data: randomBytes(100) },
        { name: 'inner.zip', data: inner },
      ],
      ZIP_CRYPTO,
    );

    const error = await refusal(unpackProtectedZip(await spooled(outer), workDir, { ...LIMITS, maxEntries: 3 }));

    expect(error.code).toBe('archive_too_many_entries');
    expect(await leftovers()).toEqual([]);
  });

  it('keeps a nested archive without encryption as one sample of type zip', async () => {
    const document = await buildZip([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: '<w:document/>' },
    ]);
    const outer = await buildZip([{ name: 'invoice.docx', data: document }], AES);

    const files = await unpackProtectedZip(await spooled(outer), workDir, LIMITS);

    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({
      fileName: 'invoice.docx',
      archivePath: 'samples.zip!invoice.docx',
      type: 'zip',
      sha256: sha256(document),
    });
  });

  it('refuses a file that is not a zip', async () => {
    const error = await refusal(unpackProtectedZip(await spooled(randomBytes(4096)), workDir, LIMITS));

    expect(error.code).toBe('archive_corrupt');
  });

  it('refuses a truncated zip', async () => {
    const zip = await buildZip([{ name: 'a.exe', data: program }], ZIP_CRYPTO);

    const error = await refusal(unpackProtectedZip(await spooled(zip.subarray(0, zip.length - 40)), workDir, LIMITS));

    expect(error.code).toBe('archive_corrupt');
  });

  it('refuses a zip whose encrypted data was damaged and removes what it had extracted', async () => {
    const zip = await buildZip(
      [
        { name: 'a.exe', data: program },
        { name: 'b.exe', data: randomBytes(64 * 1024) },
      ],
      AES,
    );
    const damaged = Buffer.from(zip);
    // Inside the data of the second entry, which starts after the first one's 64 KiB.
    damaged[program.length + 20_000] ^= 0xff;

    const error = await refusal(unpackProtectedZip(await spooled(damaged), workDir, LIMITS));

    expect(error.code).toBe('archive_corrupt');
    expect(error.details).toMatchObject({ entry: 'b.exe' });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an archive holding only folders and empty files', async () => {
    const zip = await buildZip([{ name: 'docs/' }, { name: 'docs/empty.txt', data: '' }], ZIP_CRYPTO);

    const error = await refusal(unpackProtectedZip(await spooled(zip), workDir, LIMITS));

    expect(error.code).toBe('archive_empty');
  });
});

describe(isProtectedZip.name, () => {
  it.each([
    ['ZipCrypto', ZIP_CRYPTO],
    ['AES', AES],
  ])('is true for a %s archive', async (_, options) => {
    const path = join(dir, 'protected.zip');
    await writeFile(path, await buildZip([{ name: 'a.exe', data: 'MZ' }], options));

    expect(await isProtectedZip(path)).toBe(true);
  });

  it('is false for a zip without encrypted entries', async () => {
    const path = join(dir, 'plain.zip');
    await writeFile(path, await buildZip([{ name: 'a.exe', data: 'MZ' }]));

    expect(await isProtectedZip(path)).toBe(false);
  });

  it('is false for a file that is not a zip or does not exist', async () => {
    const path = join(dir, 'random.bin');
    await writeFile(path, randomBytes(1024));

    expect(await isProtectedZip(path)).toBe(false);
    expect(await isProtectedZip(join(dir, 'missing.zip'))).toBe(false);
  });
});

describe(startsWithEncryptedZipEntry.name, () => {
  it('tells a sample-exchange archive by its first bytes, whatever the encryption', async () => {
    const items = [{ name: 'a.exe', data: randomBytes(100) }];
    expect(startsWithEncryptedZipEntry(Buffer.from(await buildZip(items, ZIP_CRYPTO)))).toBe(true);
    expect(startsWithEncryptedZipEntry(Buffer.from(await buildZip(items, AES)))).toBe(true);
    expect(startsWithEncryptedZipEntry(Buffer.from(await buildZip(items)))).toBe(false);
    expect(startsWithEncryptedZipEntry(Buffer.from('MZ\x90\x00'))).toBe(false);
  });
});
