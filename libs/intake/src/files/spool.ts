import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
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

/** Streams `source` to a new file in `dir`, hashing on the way. */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  dir: string,
  fileName: string,
): Promise<SpooledFile> {
  const path = join(dir, randomUUID());
  const hasher = new HashingStream();
  await pipeline(source, hasher, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
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

/**
 * Each request's private folder is named for the process that made it: `sigdesk-intake-<host>-<pid>-<run>-` and six
 * random characters (mkdtemp), under the spool root. `<host>` tells machines (or containers) sharing a root apart,
 * `<pid>` lets a starting process tell a dead one's folders at once, and `<run>` tells this process from an earlier
 * one that had the same pid (a container restarted runs its process as pid 1 again).
 */
const SPOOL_FOLDER_PREFIX = 'sigdesk-intake-';
const SPOOL_FOLDER_NAME = /^sigdesk-intake-(?:([0-9a-f]{8})-(\d{1,10})-([0-9a-f]{8})-)?[A-Za-z0-9]{6}$/;

/** Who makes spool folders: this process, unless a test says otherwise. */
export interface SpoolOwner {
  host: string;
  pid: number;
  run: string;
}

/** This process as the owner of its spool folders. */
export const THIS_PROCESS: SpoolOwner = {
  host: createHash('sha256').update(hostname()).digest('hex').slice(0, 8),
  pid: process.pid,
  run: randomBytes(4).toString('hex'),
};

/** A new private folder (mode 0700) for one request's files, under `root`. */
export function createSpoolFolder(root: string, owner: SpoolOwner = THIS_PROCESS): Promise<string> {
  return mkdtemp(join(root, `${SPOOL_FOLDER_PREFIX}${owner.host}-${owner.pid}-${owner.run}-`));
}

/** Whether a process with this pid runs on this machine (one of another user counts: it cannot be signalled). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the spool folders that requests cut short by a crash left under `root`, except the folders of this
 * process's live requests (`live`):
 * - at once, a folder made on this machine by a process that is no longer running, or by an earlier run of this
 *   process's pid;
 * - otherwise (another machine's folder, a running process's, or one named before folders carried their maker),
 *   once its last change (of the folder or of anything in it) is at least `idleMs` old: a request writes its files
 *   as they arrive, and keeps its folder no longer than `idleMs` after its last write.
 * A folder that cannot be read or removed (another user's, or one removed meanwhile) is left alone. Returns those
 * removed.
 */
export async function sweepSpoolFolders(
  root: string,
  options: {
    idleMs: number;
    now?: Date;
    live?: ReadonlySet<string>;
    owner?: SpoolOwner;
    running?: (pid: number) => boolean;
  },
): Promise<string[]> {
  const now = (options.now ?? new Date()).getTime();
  const owner = options.owner ?? THIS_PROCESS;
  const running = options.running ?? isRunning;
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw error;
  }
  for (const entry of entries) {
    const name = SPOOL_FOLDER_NAME.exec(entry.name);
    if (!entry.isDirectory() || !name) continue;
    const dir = join(root, entry.name);
    if (options.live?.has(dir)) continue;
    const [, host, pid, run] = name;
    const own = host === owner.host && Number(pid) === owner.pid && run === owner.run;
    // this process's folders outside `live` are those whose request has not yet said so: left to the idle rule
    const makerGone = host === owner.host && !own && (Number(pid) === owner.pid || !running(Number(pid)));
    try {
      if (!makerGone && now - (await lastChange(dir)) < options.idleMs) continue;
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
