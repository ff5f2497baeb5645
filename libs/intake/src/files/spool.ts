import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectFileType, SampleType } from './file-type';
import { HashingStream } from './hashing-stream';

/** A file received or unpacked during one submission, kept in a private temporary folder until stored. */
export interface SpooledFile {
  /** Where the bytes are on local disk (a random name: entry names never become paths). */
  path: string;
  /** The name the customer gave (upload file name, or the entry name inside an archive). */
  fileName: string;
  /** For a file taken out of an archive: the archive's name and the entry path, e.g. `samples.zip!dir/a.exe`. */
  archivePath?: string;
  sha256: string;
  sha1: string;
  md5: string;
  size: number;
  type: SampleType;
}

/** Streams `source` to a new file in `dir`, hashing on the way; `meter` (a pass-through) may count and refuse bytes. */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  dir: string,
  fileName: string,
  meter?: Transform,
): Promise<SpooledFile> {
  const path = join(dir, randomUUID());
  const hasher = new HashingStream();
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  if (meter) await pipeline(source, meter, hasher, out);
  else await pipeline(source, hasher, out);
  const digest = hasher.digest();
  return {
    path,
    fileName,
    sha256: digest.sha256,
    sha1: digest.sha1,
    md5: digest.md5,
    size: digest.size,
    type: detectFileType(digest.head),
  };
}

/** Each request's private folder is `sigdesk-intake-` and six random characters (mkdtemp), under the spool root. */
const SPOOL_FOLDER_PREFIX = 'sigdesk-intake-';
const SPOOL_FOLDER_NAME = /^sigdesk-intake-[A-Za-z0-9]{6}$/;

/** A new private folder (mode 0700) for one request's files, under `root`. */
export function createSpoolFolder(root: string): Promise<string> {
  return mkdtemp(join(root, SPOOL_FOLDER_PREFIX));
}

/**
 * Removes the spool folders that requests cut short by a crash left under `root`: those whose last change (of
 * the folder or of anything in it) is at least `idleMs` old, except the folders of this process's live requests.
 * Other processes may spool under the same root, and their live requests are not known here: a request writes
 * its files as they arrive, and keeps its folder no longer than `idleMs` after its last write. A folder that
 * cannot be read or removed (another user's, or one removed meanwhile) is left alone. Returns those removed.
 */
export async function sweepSpoolFolders(
  root: string,
  options: { idleMs: number; now?: Date; live?: ReadonlySet<string> },
): Promise<string[]> {
  const now = (options.now ?? new Date()).getTime();
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !SPOOL_FOLDER_NAME.test(entry.name)) continue;
    const dir = join(root, entry.name);
    if (options.live?.has(dir)) continue;
    try {
      if (now - (await lastChange(dir)) < options.idleMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      continue;
    }
  }
  return removed;
}

/** The latest modification time of a folder and everything in it, in milliseconds. */
async function lastChange(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const name of await readdir(path)) {
    latest = Math.max(latest, await lastChange(join(path, name)));
  }
  return latest;
}
