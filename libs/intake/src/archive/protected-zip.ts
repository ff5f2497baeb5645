import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ArchiveLimits } from '@sigdesk/config';
import {
  configure,
  ERR_INVALID_PASSWORD,
  ERR_INVALID_UNCOMPRESSED_SIZE,
  ERR_OVERLAPPING_ENTRY,
  ERR_UNSAFE_FILENAME,
  ERR_UNSUPPORTED_COMPRESSION,
  ERR_UNSUPPORTED_ENCRYPTION,
  ZipReader,
} from '@zip.js/zip.js';
import { FileHandleReader } from '@sigdesk/storage';
import type { Entry, FileEntry, ZipReaderConstructorOptions } from '@zip.js/zip.js';
import { archiveEntryFileName, archiveEntryPath, printableName } from '../files/sample-names';
import { spoolToFile, SpooledFile } from '../files/spool';
import { ArchiveError } from './archive-error';

// Workers would need a worker script URL and buy nothing on a server that unpacks one archive per request.
configure({ useWebWorkers: false });

export const SAMPLE_EXCHANGE_PASSWORD = 'infected';

/** Tiny files compress extremely well (a page of spaces): the ratio only means "bomb" past this size. */
const RATIO_GRACE_BYTES = 1024 * 1024;
/** Entry names are attacker-controlled: keep them short in messages so a 64 KiB name cannot flood logs. */
const MAX_NAME_IN_MESSAGE = 200;

const READER_OPTIONS: ZipReaderConstructorOptions = {
  // Our own check below gives the person a precise message; zip.js's would abort the listing half-way.
  filenameValidation: 'tolerant',
  checkCrc32: true,
  // Overlapping entries are how non-recursive zip bombs reach huge ratios; no honest writer produces them.
  checkOverlappingEntry: true,
  useWebWorkers: false,
};

/** Counted over the whole tree of nested archives, so nesting cannot multiply the limits. */
interface Budget {
  entries: number;
  bytes: number;
}

/**
 * Whether a file's first bytes are a ZIP entry that is encrypted: how a sample-exchange archive begins. Only a
 * hint, read before the rest arrives (isProtectedZip decides, on the whole file).
 */
export function startsWithEncryptedZipEntry(head: Buffer): boolean {
  return head.length >= 8 && head.readUInt32LE(0) === 0x04034b50 && (head.readUInt16LE(6) & 1) === 1;
}

/** True when the ZIP file at `path` has at least one encrypted entry (a sample-exchange container). Corrupt/non-zip -> false. */
export async function isProtectedZip(path: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const reader = new ZipReader(new FileHandleReader(handle, size), READER_OPTIONS);
    try {
      for await (const entry of reader.getEntriesGenerator()) if (entry.encrypted) return true;
      return false;
    } finally {
      await reader.close();
    }
  } catch {
    return false;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Unpacks a protected ZIP (already spooled to disk as `archive`) into files in `workDir`, returning one SpooledFile per file entry
 * (directories skipped). Each returned file has `fileName` = the entry's base name and `archivePath` = `${archive.archivePath ?? archive.fileName}!${entryPath}`.
 * Nested protected ZIPs are unpacked recursively (their own entries returned instead of them) while depth < limits.maxNesting,
 * otherwise ArchiveError('archive_nested_too_deep'). A nested ZIP WITHOUT encrypted entries is NOT unpacked: it is a sample itself
 * (docx, jar, apk are ZIPs). Limits count across the whole tree (entries and unpacked bytes summed over all levels).
 */
export async function unpackProtectedZip(
  archive: SpooledFile,
  workDir: string,
  limits: ArchiveLimits,
  password: string = SAMPLE_EXCHANGE_PASSWORD,
  depth = 0,
): Promise<SpooledFile[]> {
  return unpackLevel(archive, workDir, limits, password, depth, { entries: 0, bytes: 0 });
}

async function unpackLevel(
  archive: SpooledFile,
  workDir: string,
  limits: ArchiveLimits,
  password: string,
  depth: number,
  budget: Budget,
): Promise<SpooledFile[]> {
  const label = archive.archivePath ?? archive.fileName;
  const extracted: SpooledFile[] = [];
  // Includes a nested archive between its extraction and its replacement by its own entries.
  const created = new Set<string>();
  let currentEntry: string | undefined;
  let handle: FileHandle | undefined;
  try {
    handle = await open(archive.path, 'r');
    const { size } = await handle.stat();
    const reader = new ZipReader(new FileHandleReader(handle, size), READER_OPTIONS);
    try {
      const entries = await listEntries(reader, label, limits, budget);
      checkDeclaredSizes(entries, label, limits, budget);
      for (const entry of entries) {
        if (!entry.encrypted) continue;
        currentEntry = entry.filename;
        // Fails fast on a wrong password before a single byte is written to disk.
        await entry.getData(new WritableStream(), { password, checkPasswordOnly: true });
      }
      for (const entry of entries) {
        currentEntry = entry.filename;
        const file = await extractEntry(entry, label, workDir, limits, password, budget);
        created.add(file.path);
        if (file.size === 0) {
          await removeFile(file.path);
          created.delete(file.path);
          continue;
        }
        if (file.type === 'zip' && (await isProtectedZip(file.path))) {
          if (depth >= limits.maxNesting) {
            throw new ArchiveError(
              'archive_nested_too_deep',
              `The archive ${quote(label)} contains password-protected archives nested more than ${limits.maxNesting} ` +
                `level(s) deep (at ${quote(entry.filename)}). Put the samples in fewer nested archives.`,
              { archive: label, entry: shown(entry.filename), maxNesting: limits.maxNesting },
            );
          }
          const inner = await unpackLevel(file, workDir, limits, password, depth + 1, budget);
          await removeFile(file.path);
          created.delete(file.path);
          extracted.push(...inner);
          inner.forEach((innerFile) => created.add(innerFile.path));
          continue;
        }
        extracted.push(file);
      }
    } finally {
      await reader.close();
    }
    return extracted;
  } catch (error) {
    await Promise.all([...created].map(removeFile));
    throw toArchiveError(error, label, currentEntry);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads the central directory, refusing unsafe names and too many entries before anything is extracted. */
async function listEntries(
  reader: ZipReader<FileHandle>,
  label: string,
  limits: ArchiveLimits,
  budget: Budget,
): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  let fileCount = 0;
  let directoryCount = 0;
  for await (const entry of reader.getEntriesGenerator()) {
    checkEntryName(entry, label);
    if (entry.directory) directoryCount++;
    else fileCount++;
    // Directories are bounded too, only so that a hostile central directory cannot make this list grow unchecked.
    if (budget.entries + fileCount > limits.maxEntries || directoryCount > limits.maxEntries) {
      throw new ArchiveError(
        'archive_too_many_entries',
        `The archive ${quote(label)} contains more than ${limits.maxEntries} entries (counting nested archives). ` +
          'Split the samples into several uploads.',
        { archive: label, maxEntries: limits.maxEntries },
      );
    }
    // Empty files are not samples; directories only carry names, already checked.
    if (!entry.directory && entry.uncompressedSize > 0) files.push(entry);
  }
  budget.entries += fileCount;
  if (files.length === 0) {
    throw new ArchiveError('archive_empty', `The archive ${quote(label)} contains no file to analyse.`, {
      archive: label,
    });
  }
  return files;
}

function checkEntryName(entry: Entry, label: string): void {
  const name = entry.filename;
  const segments = name.split(/[\\/]/);
  const unsafe =
    name.length === 0 ||
    name.includes('\0') ||
    /^[\\/]/.test(name) ||
    /^[a-zA-Z]:/.test(name) ||
    // Windows strips trailing dots and spaces, so `.. ` and `...` can also walk up a level there.
    segments.some((segment) => segment.includes('..') && /^[. ]+$/.test(segment));
  if (unsafe) {
    throw new ArchiveError(
      'archive_unsafe_path',
      `The archive ${quote(label)} contains an entry with an unsafe name ${quote(name)} ` +
        '(absolute path, drive letter, ".." segment or NUL character). Such archives are refused.',
      { archive: label, entry: shown(name) },
    );
  }
}

/** Declared sizes are only a first filter (they can lie); the streaming counter in extractEntry is the real limit. */
function checkDeclaredSizes(entries: FileEntry[], label: string, limits: ArchiveLimits, budget: Budget): void {
  let declaredTotal = budget.bytes;
  for (const entry of entries) {
    const refusal = ratioExceeded(entry, entry.uncompressedSize, label, limits);
    if (refusal) throw refusal;
    declaredTotal += entry.uncompressedSize;
    if (declaredTotal > limits.maxUnpackedBytes) throw tooLarge(label, entry.filename, limits);
  }
}

async function extractEntry(
  entry: FileEntry,
  label: string,
  workDir: string,
  limits: ArchiveLimits,
  password: string,
  budget: Budget,
): Promise<SpooledFile> {
  let entryBytes = 0;
  let refusal: ArchiveError | undefined;
  let control: TransformStreamDefaultController<Uint8Array> | undefined;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      control = controller;
    },
    transform(chunk, controller) {
      entryBytes += chunk.byteLength;
      budget.bytes += chunk.byteLength;
      refusal =
        budget.bytes > limits.maxUnpackedBytes
          ? tooLarge(label, entry.filename, limits)
          : ratioExceeded(entry, entryBytes, label, limits);
      // Throwing errors both sides of the stream: zip.js stops inflating and spoolToFile stops writing.
      if (refusal) throw refusal;
      controller.enqueue(chunk);
    },
  });
  // spoolToFile does not tell the name of a file it failed to finish: a private folder lets us drop a partial bomb at once.
  const staging = await mkdtemp(join(workDir, '.unpacking-'));
  try {
    const spooling = spoolToFile(counter.readable, staging, archiveEntryFileName(entry.filename));
    const reading = entry.getData(counter.writable, { password }).catch((error: unknown) => {
      // zip.js may fail before it ever touches the writable; erroring the stream guarantees spoolToFile ends.
      control?.error(error);
      throw error;
    });
    const [spooled, read] = await Promise.allSettled([spooling, reading]);
    if (refusal) throw refusal;
    if (spooled.status === 'rejected') {
      // A full disk cancels the stream and zip.js then fails too: report the cause, not the consequence.
      throw read.status === 'rejected' && !isSystemError(spooled.reason) ? read.reason : spooled.reason;
    }
    if (read.status === 'rejected') throw read.reason;
    const path = join(workDir, basename(spooled.value.path));
    await rename(spooled.value.path, path);
    return { ...spooled.value, path, archivePath: archiveEntryPath(label, entry.filename) };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

function ratioExceeded(
  entry: FileEntry,
  unpackedBytes: number,
  label: string,
  limits: ArchiveLimits,
): ArchiveError | undefined {
  const compressed = Math.max(entry.compressedSize, 1);
  if (unpackedBytes > RATIO_GRACE_BYTES && unpackedBytes > limits.maxRatio * compressed) {
    return new ArchiveError(
      'archive_ratio_exceeded',
      `The entry ${quote(entry.filename)} in the archive ${quote(label)} unpacks to more than ${limits.maxRatio} times ` +
        `its compressed size (${compressed} bytes), which is how zip bombs work. Such archives are refused.`,
      { archive: label, entry: shown(entry.filename), compressedSize: entry.compressedSize, maxRatio: limits.maxRatio },
    );
  }
  return undefined;
}

function tooLarge(label: string, entryName: string, limits: ArchiveLimits): ArchiveError {
  return new ArchiveError(
    'archive_too_large',
    `The archive ${quote(label)} unpacks to more than ${limits.maxUnpackedBytes} bytes (counting nested archives), ` +
      `the limit was passed at ${quote(entryName)}. Split the samples into several uploads.`,
    { archive: label, entry: shown(entryName), maxUnpackedBytes: limits.maxUnpackedBytes },
  );
}

/** Maps zip.js failures (plain Errors identified by their message) to codes a person can act on. */
function toArchiveError(error: unknown, label: string, entryName: string | undefined): unknown {
  if (error instanceof ArchiveError) return error;
  // Disk full, permissions...: our problem, not the customer's archive.
  if (isSystemError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const details = { archive: label, ...(entryName === undefined ? {} : { entry: shown(entryName) }), reason };
  const at = entryName === undefined ? '' : ` (at ${quote(entryName)})`;
  switch (reason) {
    case ERR_INVALID_PASSWORD:
      return new ArchiveError(
        'archive_wrong_password',
        `The archive ${quote(label)} could not be decrypted${at}: wrong password. ` +
          `Protect samples with the sample-exchange password "${SAMPLE_EXCHANGE_PASSWORD}".`,
        details,
      );
    case ERR_UNSAFE_FILENAME: {
      const name = error instanceof Error && 'filename' in error ? String(error.filename) : entryName;
      return new ArchiveError(
        'archive_unsafe_path',
        `The archive ${quote(label)} contains an entry with an unsafe name${name === undefined ? '' : ` ${quote(name)}`}.`,
        { ...details, entry: name === undefined ? undefined : shown(name) },
      );
    }
    case ERR_UNSUPPORTED_COMPRESSION:
    case ERR_UNSUPPORTED_ENCRYPTION:
      return new ArchiveError(
        'archive_corrupt',
        `The archive ${quote(label)} uses a compression or encryption method that is not supported${at}. ` +
          'Use standard ZIP deflate compression with ZipCrypto or AES encryption.',
        details,
      );
    case ERR_INVALID_UNCOMPRESSED_SIZE:
      return new ArchiveError(
        'archive_corrupt',
        `The archive ${quote(label)} is damaged or forged${at}: an entry does not unpack to the size it declares.`,
        details,
      );
    case ERR_OVERLAPPING_ENTRY:
      return new ArchiveError(
        'archive_corrupt',
        `The archive ${quote(label)} has entries sharing the same data${at}, a zip bomb technique. Such archives are refused.`,
        details,
      );
    default:
      return new ArchiveError(
        'archive_corrupt',
        `The archive ${quote(label)} is damaged or is not a valid ZIP file${at}.`,
        details,
      );
  }
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && 'syscall' in error;
}

/** An entry name as messages and details show it: hidden characters written out, and short. */
function shown(name: string): string {
  return printableName(name, MAX_NAME_IN_MESSAGE);
}

function quote(name: string): string {
  return JSON.stringify(shown(name));
}

async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}
