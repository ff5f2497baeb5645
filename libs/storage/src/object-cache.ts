import { Injectable, Logger } from '@nestjs/common';
import { createHash, Hash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '@sigdesk/config';
import { ObjectStore } from './object-store';

const SHA256 = /^[0-9a-f]{64}$/;
const PARTIAL_PREFIX = '.partial-';
/** A partial download this old was left by a process that died; a younger one may be another process's. */
const STALE_PARTIAL_MS = 3_600_000;

interface VerifiedCopy<A extends string> {
  path: string;
  digests: Record<A, string>;
}

/** The other digests asked of a read, fed the same chunks as its SHA-256. */
class Digests<A extends string> {
  private readonly hashes: Array<[A, Hash]>;

  constructor(algorithms: readonly A[]) {
    this.hashes = algorithms.map((algorithm) => [algorithm, createHash(algorithm)]);
  }

  update(chunk: Buffer): void {
    for (const [, hash] of this.hashes) hash.update(chunk);
  }

  digest(): Record<A, string> {
    return Object.fromEntries(this.hashes.map(([algorithm, hash]) => [algorithm, hash.digest('hex')])) as Record<
      A,
      string
    >;
  }
}

/**
 * Local copies of S3 objects for the code that must read files from disk (scans): samples and clean-corpus
 * files, named by their SHA-256.
 *
 * Nothing in the folder is trusted because of where it is: a download enters the cache only when its bytes
 * have the SHA-256 it was asked for, and a cached file is hashed again each time it is handed out (a file
 * altered or planted since is deleted and fetched again). The folder is private to this user (0700, under the
 * data directory). Concurrent requests for one object share one download and one check. The cache holds at
 * most `SIGDESK_OBJECT_CACHE_MAX_BYTES`, evicting the least recently used files; a single object larger than
 * that is still handed out, and evicted by the next download.
 *
 * Several processes may share the data directory: each bounds what it knows the folder holds (what it found
 * at its start and what it fetched or used since); the last use of each file is its modification time, so the
 * order of use survives a restart.
 */
@Injectable()
export class ObjectCache {
  private readonly logger = new Logger(ObjectCache.name);
  readonly folder: string;
  private readonly maxBytes: number;
  /** The files this process knows of, with their sizes, least recently used first (a Map keeps its order). */
  private readonly entries = new Map<string, number>();
  private totalBytes = 0;
  private opened?: Promise<void>;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    config: AppConfig,
    private readonly store: ObjectStore,
  ) {
    this.folder = join(config.dataDir, 'object-cache');
    this.maxBytes = config.objectCache.maxBytes;
  }

  /** The path of a local file with the bytes of `storageKey`, whose SHA-256 is `sha256`. */
  async localCopy(storageKey: string, sha256: string): Promise<string> {
    // the hash names the file: nothing else may reach the file system
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${JSON.stringify(sha256)}`);
    let copy = this.pending.get(sha256);
    if (!copy) {
      copy = this.verifiedCopyInFolder(storageKey, sha256, [])
        .then(({ path }) => path)
        .finally(() => this.pending.delete(sha256));
      this.pending.set(sha256, copy);
    }
    return copy;
  }

  /**
   * {@link localCopy}, with more digests of its bytes (`sha1`, `md5`: any `node:crypto` hash) computed in the read
   * that verifies the cached file, or in its download: the bytes are read once for both.
   */
  async localCopyWithDigests<A extends string>(
    storageKey: string,
    sha256: string,
    algorithms: readonly A[],
  ): Promise<{ path: string; digests: Record<A, string> }> {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${JSON.stringify(sha256)}`);
    // a copy of the same object in flight: let it end, then read what it left (it may have downloaded it)
    for (let other = this.pending.get(sha256); other; other = this.pending.get(sha256)) {
      await other.catch(() => undefined);
    }
    const work = this.verifiedCopyInFolder(storageKey, sha256, algorithms);
    // shared with the copies asked for meanwhile, and kept from eviction, as any copy in flight
    const copy = work.then(({ path }) => path).finally(() => this.pending.delete(sha256));
    copy.catch(() => undefined);
    this.pending.set(sha256, copy);
    return work;
  }

  /**
   * The folder may vanish under a running process (a temporary-file cleaner, an operator freeing space): then it is
   * made again, empty, and the copy fetched once more, rather than every later copy failing until a restart.
   */
  private async verifiedCopyInFolder<A extends string>(
    storageKey: string,
    sha256: string,
    algorithms: readonly A[],
  ): Promise<VerifiedCopy<A>> {
    try {
      return await this.verifiedCopy(storageKey, sha256, algorithms);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || (await this.folderExists())) throw error;
      this.logger.warn({ folder: this.folder }, 'the object cache folder is gone: making it again');
      this.opened = undefined;
      this.entries.clear();
      this.totalBytes = 0;
      return this.verifiedCopy(storageKey, sha256, algorithms);
    }
  }

  private async folderExists(): Promise<boolean> {
    return lstat(this.folder).then(
      () => true,
      () => false,
    );
  }

  private async verifiedCopy<A extends string>(
    storageKey: string,
    sha256: string,
    algorithms: readonly A[],
  ): Promise<VerifiedCopy<A>> {
    await this.open();
    const path = join(this.folder, sha256);
    const cached = await this.hashFile(path, algorithms);
    if (cached?.sha256 === sha256) {
      await this.used(sha256, cached.size);
      return { path, digests: cached.digests };
    }
    if (cached) {
      this.logger.warn({ sha256, found: cached.sha256 }, 'a cached file does not have its SHA-256: fetching it again');
      await rm(path, { force: true });
    }
    this.forget(sha256);
    const { size, digests } = await this.download(storageKey, sha256, path, algorithms);
    await this.used(sha256, size);
    await this.evict();
    return { path, digests };
  }

  /** Downloads to a private partial file while hashing; only bytes with the right SHA-256 take the name. */
  private async download<A extends string>(
    storageKey: string,
    sha256: string,
    path: string,
    algorithms: readonly A[],
  ): Promise<{ size: number; digests: Record<A, string> }> {
    const partial = join(this.folder, `${PARTIAL_PREFIX}${randomUUID()}`);
    const hash = createHash('sha256');
    const more = new Digests(algorithms);
    let size = 0;
    try {
      await pipeline(
        await this.store.getStream(storageKey),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            more.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
      );
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        throw new Error(`the object ${storageKey} has the SHA-256 ${actual}, not ${sha256}: it is not cached`);
      }
      await rename(partial, path);
      return { size, digests: more.digest() };
    } finally {
      await rm(partial, { force: true });
    }
  }

  private async hashFile<A extends string>(
    path: string,
    algorithms: readonly A[],
  ): Promise<{ sha256: string; size: number; digests: Record<A, string> } | null> {
    const hash = createHash('sha256');
    const more = new Digests(algorithms);
    let size = 0;
    try {
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        more.update(chunk);
        size += chunk.length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return { sha256: hash.digest('hex'), size, digests: more.digest() };
  }

  /** Marks a file the most recently used, here and on disk (its modification time). */
  private async used(sha256: string, size: number): Promise<void> {
    this.forget(sha256);
    this.entries.set(sha256, size);
    this.totalBytes += size;
    const now = new Date();
    await utimes(join(this.folder, sha256), now, now).catch(() => undefined);
  }

  private forget(sha256: string): void {
    const size = this.entries.get(sha256);
    if (size === undefined) return;
    this.entries.delete(sha256);
    this.totalBytes -= size;
  }

  /** Least recently used first, down to the cap; never a file being checked or handed out right now. */
  private async evict(): Promise<void> {
    for (const [sha256] of this.entries) {
      if (this.totalBytes <= this.maxBytes) return;
      if (this.pending.has(sha256)) continue;
      await rm(join(this.folder, sha256), { force: true });
      this.forget(sha256);
    }
  }

  private open(): Promise<void> {
    this.opened ??= this.openFolder().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  /** Makes the private folder, and learns what it holds, oldest use first. */
  private async openFolder(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const folder = await lstat(this.folder);
    // a symbolic link or a folder of another user would let someone else choose what scans read
    if (!folder.isDirectory() || (process.getuid && folder.uid !== process.getuid())) {
      throw new Error(`the object cache ${this.folder} must be a folder of this user`);
    }
    await chmod(this.folder, 0o700);
    const found: Array<{ sha256: string; size: number; usedAt: number }> = [];
    for (const name of await readdir(this.folder)) {
      const path = join(this.folder, name);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) continue;
      if (name.startsWith(PARTIAL_PREFIX)) {
        if (Date.now() - info.mtimeMs > STALE_PARTIAL_MS) await rm(path, { force: true });
      } else if (SHA256.test(name)) {
        found.push({ sha256: name, size: info.size, usedAt: info.mtimeMs });
      }
    }
    for (const file of found.sort((a, b) => a.usedAt - b.usedAt)) {
      this.entries.set(file.sha256, file.size);
      this.totalBytes += file.size;
    }
    await this.evict();
  }
}
