import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  configure,
  ERR_INVALID_UNCOMPRESSED_SIZE,
  ERR_UNSUPPORTED_COMPRESSION,
  ERR_UNSUPPORTED_ENCRYPTION,
  ZipReader,
} from '@zip.js/zip.js';
import { FileHandleReader } from '@sigdesk/storage';
import type { FileEntry, ZipReaderConstructorOptions } from '@zip.js/zip.js';
import {
  assignNamespaces,
  isMacMetadata,
  isYaraPath,
  normaliseEntryPath,
  shownName,
  uploadBaseName,
} from './pack-paths';
import { readTar, TarEntryKind, TarFormatError } from './tar-reader';

export { packNameOf } from './pack-paths';

// Workers would need a worker script URL and buy nothing on a server that reads one archive per request.
configure({ useWebWorkers: false });

/** One YARA source file of an uploaded rule pack. */
export interface PackFile {
  /** The path inside the archive (normalised: `/` separators, no leading `./` or `/`), or the upload's name. */
  path: string;
  /** `${packName}/${path without .yar/.yara}`, restricted to [A-Za-z0-9_./-], unique within the pack, ≤ 200 chars. */
  namespace: string;
  /** The file decoded as UTF-8, without its byte order mark. */
  text: string;
  /** The file's size in bytes as stored (BOM included). */
  bytes: number;
}

export interface SkippedEntry {
  /** The normalised path, or the raw name with control characters written out when it could not be normalised. */
  path: string;
  reason: string;
}

export interface PackContents {
  format: 'yara' | 'zip' | 'tar.gz';
  /** Sorted by path. Never empty (an empty pack is a PackError). */
  files: PackFile[];
  /** Entries that are not taken, with why; directories are not listed. */
  skipped: SkippedEntry[];
  /** Size of the upload in bytes, as received. */
  bytes: number;
}

export interface PackLimits {
  /** The upload as received; for a tar.gz, the unpacked tar too (so a gzip bomb of padding cannot run forever). */
  maxArchiveBytes: number;
  /** YARA files taken. */
  maxFiles: number;
  /** One YARA file, counted as it unpacks, not trusted from headers. */
  maxFileBytes: number;
  /** All YARA files together. */
  maxTotalBytes: number;
  /** Every entry of the archive, directories and skipped entries included. */
  maxEntries: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_PACK_LIMITS: PackLimits = {
  maxArchiveBytes: 256 * MiB,
  maxFiles: 5_000,
  maxFileBytes: 8 * MiB,
  maxTotalBytes: 128 * MiB,
  maxEntries: 50_000,
};

/** Why a whole pack was refused. Codes reach API clients: never rename one. */
export type PackErrorCode =
  | 'pack_too_large'
  | 'too_many_files'
  | 'too_many_entries'
  | 'file_too_large'
  | 'not_a_pack'
  | 'bad_archive'
  | 'empty_pack';

export class PackError extends Error {
  constructor(
    readonly code: PackErrorCode,
    message: string,
    /** For 'empty_pack': the entries skipped, which tell why none was taken. */
    readonly skipped: SkippedEntry[] = [],
  ) {
    super(message);
    this.name = 'PackError';
  }
}

/** Why one entry was left out. Shown to the admin who uploaded the pack. */
export const SKIP_REASONS = {
  notYara: 'not a YARA file (.yar, .yara)',
  link: 'a link',
  special: 'a device, FIFO or other special file',
  unsupportedEntry: 'an entry type that is not supported (sparse file, volume label...)',
  macMetadata: 'macOS metadata (__MACOSX/, ._ files)',
  encrypted: 'encrypted',
  unsupportedCompression: 'a compression method that is not supported',
  duplicate: 'a duplicate of an earlier entry with the same path',
  notUtf8: 'not UTF-8 text',
  nulBytes: 'contains NUL bytes (binary, not YARA text)',
  empty: 'an empty file',
} as const;

type EntryKind = TarEntryKind | 'encrypted';

/**
 * Reads an uploaded rule pack: one YARA file, a ZIP or a tar.gz of YARA files, told apart by their first bytes.
 * Whole-pack problems (limits, corrupt archive, no YARA file) throw a PackError; one bad entry is skipped with its
 * reason. `input` is read to its end, or destroyed when the pack is refused before.
 */
export async function readPack(
  input: Readable,
  fileName: string,
  packName: string,
  limits: PackLimits = DEFAULT_PACK_LIMITS,
): Promise<PackContents> {
  const upload = new MeteredUpload(input, limits.maxArchiveBytes);
  try {
    const head = await upload.peek(SNIFF_BYTES);
    const format = formatOf(head, fileName);
    const collector = new PackCollector(limits);
    if (format === 'yara') await readSingleFile(upload, fileName, collector);
    else if (format === 'zip') await readZip(upload, collector);
    else await readTarGz(upload, collector, limits);
    return { format, ...collector.finish(packName), bytes: upload.bytes };
  } finally {
    if (!input.readableEnded) input.destroy();
  }
}

/** Enough for the ustar magic at offset 257, to tell an uncompressed tar from text. */
const SNIFF_BYTES = 512;

function formatOf(head: Buffer, fileName: string): PackContents['format'] {
  const name = uploadBaseName(fileName);
  if (head.length === 0) throw new PackError('empty_pack', `The upload ${quote(name)} is empty.`);
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
  // An archive with no entry at all starts with its end-of-central-directory record.
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0506) return 'zip';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
    throw new PackError(
      'not_a_pack',
      `The upload ${quote(name)} is an uncompressed tar archive: upload a .tar.gz or a .zip instead.`,
    );
  }
  if (/\.(zip|tgz|tar\.gz|gz|tar)$/i.test(name)) {
    throw new PackError(
      'bad_archive',
      `The upload ${quote(name)} is named like an archive but is not a ZIP or gzip file.`,
    );
  }
  return 'yara';
}

/** A plain upload is one YARA file: refused as a whole when it is not text (nothing else could be taken from it). */
async function readSingleFile(upload: MeteredUpload, fileName: string, collector: PackCollector): Promise<void> {
  const path = uploadBaseName(fileName) || 'rules.yar';
  const file = collector.open(path);
  for await (const chunk of upload) file.push(chunk);
  const text = decodeText(file.contents());
  if (typeof text !== 'string') {
    throw new PackError(
      'not_a_pack',
      `The upload ${quote(path)} is neither a ZIP, a tar.gz nor a YARA file: it is ${text.reason}.`,
    );
  }
  file.close();
}

/** Streams the upload, counting its bytes and refusing it past the limit; its first bytes can be looked at first. */
class MeteredUpload implements AsyncIterable<Buffer> {
  bytes = 0;
  private readonly head: Buffer[] = [];
  private readonly source: AsyncIterator<unknown>;

  constructor(
    input: Readable,
    private readonly maxBytes: number,
  ) {
    this.source = input[Symbol.asyncIterator]();
  }

  async peek(count: number): Promise<Buffer> {
    let length = this.head.reduce((sum, chunk) => sum + chunk.length, 0);
    while (length < count) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      this.head.push(chunk);
      length += chunk.length;
    }
    return Buffer.concat(this.head);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (this.head.length > 0) yield this.head.shift() as Buffer;
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) yield chunk;
  }

  private async next(): Promise<Buffer | undefined> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.source.next();
    } catch (error) {
      // An aborted upload is not a damaged archive: asPackError must let it through as it is.
      if (typeof error === 'object' && error !== null) UPLOAD_FAILURES.add(error);
      throw error;
    }
    if (next.done) return undefined;
    const value: unknown = next.value;
    const chunk = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value as Uint8Array);
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new PackError('pack_too_large', `The upload is larger than ${this.maxBytes} bytes.`);
    }
    return chunk;
  }
}

const ZIP_OPTIONS: ZipReaderConstructorOptions = {
  // Names are checked below, entry by entry, so that one bad name skips an entry instead of failing the listing.
  filenameValidation: 'tolerant',
  checkCrc32: true,
  // Overlapping entries are how non-recursive zip bombs reach huge ratios; no honest writer produces them.
  checkOverlappingEntry: true,
  useWebWorkers: false,
};

/** zip.js needs random access (the central directory is at the end): the upload is spooled to a private folder. */
async function readZip(upload: MeteredUpload, collector: PackCollector): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigdesk-pack-'));
  let handle: FileHandle | undefined;
  try {
    const path = join(dir, 'upload.zip');
    await pipeline(upload, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    handle = await open(path, 'r');
    const reader = new ZipReader(new FileHandleReader(handle, upload.bytes), ZIP_OPTIONS);
    try {
      // Listed first, so that too many entries are refused before anything is inflated.
      const admitted: { entry: FileEntry; path: string }[] = [];
      for await (const entry of reader.getEntriesGenerator()) {
        collector.countEntry();
        const kind: EntryKind = entry.directory
          ? 'directory'
          : entry.symlink
            ? 'link'
            : entry.encrypted
              ? 'encrypted'
              : 'file';
        const path = collector.admit(entry.filename, kind, entry.uncompressedSize);
        if (path !== undefined && !entry.directory) admitted.push({ entry, path });
      }
      for (const { entry, path } of admitted) await readZipEntry(entry, path, collector);
    } finally {
      await reader.close();
    }
  } catch (error) {
    throw asPackError(error, 'ZIP');
  } finally {
    await handle?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function readZipEntry(entry: FileEntry, path: string, collector: PackCollector): Promise<void> {
  const file = collector.open(path);
  try {
    // Throwing in write() errors the stream, which stops zip.js inflating: a bomb ends at the limit.
    await entry.getData(new WritableStream<Uint8Array>({ write: (chunk) => file.push(chunk) }));
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (message === ERR_UNSUPPORTED_COMPRESSION || message === ERR_UNSUPPORTED_ENCRYPTION) {
      collector.skip(path, SKIP_REASONS.unsupportedCompression);
      return;
    }
    // zip.js stops inflating as soon as an entry passes the size it declares: a bomb with lying headers ends here.
    if (message === ERR_INVALID_UNCOMPRESSED_SIZE) {
      throw new PackError(
        'bad_archive',
        `The ZIP entry ${quote(path)} does not unpack to the ${entry.uncompressedSize} bytes it declares (damaged or forged).`,
      );
    }
    throw error;
  }
  if (file.bytes !== entry.uncompressedSize) {
    throw new PackError(
      'bad_archive',
      `The ZIP entry ${quote(path)} does not unpack to the ${entry.uncompressedSize} bytes it declares (damaged or forged).`,
    );
  }
  file.close();
}

async function readTarGz(upload: MeteredUpload, collector: PackCollector, limits: PackLimits): Promise<void> {
  let unpacked = 0;
  try {
    await pipeline(
      upload,
      createGunzip(),
      async function* countUnpacked(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          unpacked += chunk.length;
          if (unpacked > limits.maxArchiveBytes) {
            throw new PackError('pack_too_large', `The tar.gz unpacks to more than ${limits.maxArchiveBytes} bytes.`);
          }
          yield chunk;
        }
      },
      async (tar: AsyncIterable<Buffer>) => {
        for await (const entry of readTar(tar)) {
          collector.countEntry();
          const path = collector.admit(entry.name, entry.kind, entry.size);
          if (path === undefined) continue;
          const file = collector.open(path);
          for await (const chunk of entry.body) file.push(chunk);
          file.close();
        }
      },
    );
  } catch (error) {
    throw asPackError(error, 'tar.gz');
  }
}

/** Errors of the upload stream itself (the client went away), told apart from errors of the archive's contents. */
const UPLOAD_FAILURES = new WeakSet<object>();

/**
 * Corrupt input becomes 'bad_archive'; our own refusals pass as they are, and so do a failed upload and system
 * errors (disk full), which are not the pack's fault.
 */
function asPackError(error: unknown, format: string): unknown {
  if (error instanceof PackError) return error;
  if (typeof error === 'object' && error !== null && UPLOAD_FAILURES.has(error)) return error;
  if (error instanceof Error && 'syscall' in error) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof TarFormatError) {
    return new PackError('bad_archive', `The ${format} is damaged or is not a tar archive: ${reason}.`);
  }
  return new PackError('bad_archive', `The ${format} is damaged or is not a valid archive: ${reason}.`);
}

/** Applies the limits and the rules of what is taken, the same way for every format. */
class PackCollector {
  private entries = 0;
  private totalBytes = 0;
  private admitted = 0;
  private readonly paths = new Set<string>();
  private readonly files: Omit<PackFile, 'namespace'>[] = [];
  private readonly skipped: SkippedEntry[] = [];

  constructor(private readonly limits: PackLimits) {}

  countEntry(): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new PackError(
        'too_many_entries',
        `The archive has more than ${this.limits.maxEntries} entries (files, folders and links).`,
      );
    }
  }

  /**
   * Decides from its header whether an entry's bytes are read: its normalised path when they are, else undefined
   * (and the entry is listed as skipped, except directories). Refuses the pack on a YARA file declared too large.
   */
  admit(rawName: string, kind: EntryKind, declaredBytes: number): string | undefined {
    if (kind === 'directory') return undefined;
    const normalised = normaliseEntryPath(rawName);
    if (!normalised.ok) return this.skip(shownName(rawName), normalised.reason);
    const path = normalised.path;
    if (path === '') return undefined;
    if (isMacMetadata(path)) return this.skip(path, SKIP_REASONS.macMetadata);
    if (kind === 'link') return this.skip(path, SKIP_REASONS.link);
    if (kind === 'special') return this.skip(path, SKIP_REASONS.special);
    if (kind === 'unsupported') return this.skip(path, SKIP_REASONS.unsupportedEntry);
    if (!isYaraPath(path)) return this.skip(path, SKIP_REASONS.notYara);
    if (kind === 'encrypted') return this.skip(path, SKIP_REASONS.encrypted);
    if (this.paths.has(path)) return this.skip(path, SKIP_REASONS.duplicate);
    if (declaredBytes > this.limits.maxFileBytes) {
      throw new PackError(
        'file_too_large',
        `The rule file ${quote(path)} declares ${declaredBytes} bytes, more than the limit of ${this.limits.maxFileBytes}.`,
      );
    }
    if (++this.admitted > this.limits.maxFiles) throw tooManyFiles(this.limits);
    this.paths.add(path);
    return path;
  }

  skip(path: string, reason: string): undefined {
    this.skipped.push({ path, reason });
    return undefined;
  }

  /** Receives one file's bytes as they unpack, refusing the pack as soon as a limit is passed. */
  open(path: string): FileSink {
    return new FileSink(path, this.limits, this.totalBytes, (file) => this.close(file));
  }

  private close(file: FileSink): void {
    this.totalBytes += file.bytes;
    if (file.bytes === 0) return void this.skip(file.path, SKIP_REASONS.empty);
    const text = decodeText(file.contents());
    if (typeof text !== 'string') return void this.skip(file.path, text.reason);
    this.files.push({ path: file.path, text, bytes: file.bytes });
  }

  finish(packName: string): Pick<PackContents, 'files' | 'skipped'> {
    if (this.files.length === 0) {
      const skipped = this.skipped.length === 0 ? '' : ` (${this.skipped.length} entries skipped)`;
      throw new PackError('empty_pack', `The pack contains no YARA file (.yar, .yara)${skipped}.`, this.skipped);
    }
    const sorted = [...this.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const namespaces = assignNamespaces(
      packName,
      sorted.map((file) => file.path),
    );
    return {
      files: sorted.map((file, index) => ({ ...file, namespace: namespaces[index] })),
      skipped: this.skipped,
    };
  }
}

class FileSink {
  bytes = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    readonly path: string,
    private readonly limits: PackLimits,
    private readonly totalBefore: number,
    private readonly onClose: (file: FileSink) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.bytes > this.limits.maxFileBytes) {
      throw new PackError(
        'file_too_large',
        `The rule file ${quote(this.path)} unpacks to more than the limit of ${this.limits.maxFileBytes} bytes.`,
      );
    }
    if (this.totalBefore + this.bytes > this.limits.maxTotalBytes) {
      throw new PackError(
        'pack_too_large',
        `The pack's rule files add up to more than the limit of ${this.limits.maxTotalBytes} bytes.`,
      );
    }
    // Copied: zip.js may reuse the buffers it writes.
    this.chunks.push(Buffer.from(chunk));
  }

  contents(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }

  close(): void {
    this.onClose(this);
  }
}

/** UTF-8 text without its BOM, or why the bytes are not YARA text. */
function decodeText(bytes: Buffer): string | { reason: string } {
  let text: string;
  try {
    // Fatal: a legacy code page would otherwise turn into replacement characters inside string literals.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { reason: SKIP_REASONS.notUtf8 };
  }
  if (text.includes('\0')) return { reason: SKIP_REASONS.nulBytes };
  return text;
}

function tooManyFiles(limits: PackLimits): PackError {
  return new PackError('too_many_files', `The pack contains more than ${limits.maxFiles} YARA files.`);
}

function quote(name: string): string {
  return JSON.stringify(shownName(name));
}
