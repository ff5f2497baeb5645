import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectFileType, SampleType } from './file-type';
import { HashingStream } from './hashing-stream';
import { StagingOpener, StagingTap } from './staging-tap';
import {
  formatProcessIdentity,
  isKnownGone,
  isRunning,
  parseProcessIdentity,
  ProcessIdentity,
  THIS_PROCESS,
} from '../process-identity';

/** A file received or unpacked during one submission, kept in a private temporary folder until stored. */
export interface SpooledFile {
  /** Where the bytes are on local disk (a random name: entry names never become paths). */
  path: string;
  /** The name the customer gave (upload file name, or the entry name inside an archive). */
  fileName: string;
  /** For a file taken out of an archive: the archive's name and the entry path, e.g. `samples.zip!dir/a.exe`. */
  archivePath?: string;
  sha256: string;
  size: number;
  type: SampleType;
  /** A copy in object storage written while the file was received (see {@link SpoolOptions.stage}). */
  staged?: StagedCopy;
}

/** A copy of a file in object storage, written while the file was received, under a key of its own. */
export interface StagedCopy {
  key: string;
  /** True once the object holds exactly the file; false when the copy failed or was given up. Never rejects. */
  stored: Promise<boolean>;
}

export interface SpoolOptions {
  /** A pass-through that may count and refuse bytes. */
  meter?: Transform;
  /** Copies the file to object storage while it is received; `staged` says where. */
  stage?: { open: StagingOpener; copy: () => StagedCopy | undefined };
}

/** Streams `source` to a new file in `dir`, hashing on the way (and copying it to object storage, when asked). */
export async function spoolToFile(
  source: Readable | AsyncIterable<Uint8Array>,
  dir: string,
  fileName: string,
  options: SpoolOptions = {},
): Promise<SpooledFile> {
  const path = join(dir, randomUUID());
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const hasher = new HashingStream();
  const tap = options.stage ? new StagingTap(options.stage.open) : new PassThrough();
  await pipeline(source, options.meter ?? new PassThrough(), tap, hasher, out);
  const digest = hasher.digest();
  const staged = options.stage?.copy();
  return {
    ...(staged ? { staged } : {}),
    path,
    fileName,
    sha256: digest.sha256,
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
const SPOOL_FOLDER_NAME = /^sigdesk-intake-(?:([0-9a-f]{8}-\d{1,10}-[0-9a-f]{8})-)?[A-Za-z0-9]{6}$/;

/** A new private folder (mode 0700) for one request's files, under `root`. */
export function createSpoolFolder(root: string, owner: ProcessIdentity = THIS_PROCESS): Promise<string> {
  return mkdtemp(join(root, `${SPOOL_FOLDER_PREFIX}${formatProcessIdentity(owner)}-`));
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
    owner?: ProcessIdentity;
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
    // named before folders carried their maker: left to the idle rule
    const maker = name[1] ? parseProcessIdentity(name[1]) : null;
    const makerGone = maker !== null && isKnownGone(maker, owner, running);
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
