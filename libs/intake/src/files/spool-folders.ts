import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { rm } from 'node:fs/promises';
import { createSpoolFolder, sweepSpoolFolders } from './spool';

/**
 * How long a spool folder may go unchanged before a starting process takes it for the remains of a request cut
 * short by a crash, when it cannot tell that the folder's maker is gone (another machine's, or a running pid's).
 * A request writes its files as they arrive, then uploads them and commits: it keeps its folder well within this
 * after its last write.
 */
export const SPOOL_FOLDER_IDLE_MS = 6 * 60 * 60_000;

/**
 * The private folders where requests spool their files (under `SIGDESK_SPOOL_DIR`, else the system's temporary
 * folder), removed when the request ends whatever happens; those of requests a crash cut short are removed when a
 * process starts.
 */
@Injectable()
export class SpoolFolders implements OnApplicationBootstrap {
  private readonly logger = new Logger(SpoolFolders.name);
  private readonly root: string;
  private readonly live = new Set<string>();

  constructor(config: AppConfig) {
    this.root = config.intake.spoolDir;
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      // leftover files take room, nothing more: no reason to refuse to start
      this.logger.warn({ err: error, root: this.root }, 'sweeping spool folders failed');
    }
  }

  /** Removes the folders of requests a crash cut short, here or in another process spooling to the same root. */
  async sweep(now = new Date()): Promise<string[]> {
    const removed = await sweepSpoolFolders(this.root, { idleMs: SPOOL_FOLDER_IDLE_MS, now, live: this.live });
    if (removed.length) this.logger.log({ removed: removed.length, root: this.root }, 'stale spool folders removed');
    return removed;
  }

  async create(): Promise<string> {
    const dir = await createSpoolFolder(this.root);
    this.live.add(dir);
    return dir;
  }

  async remove(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } finally {
      this.live.delete(dir);
    }
  }

  /**
   * Runs `work` with a private folder that is made when `work` first asks for it (a request refused before its
   * first file makes none) and removed afterwards, whatever happens.
   */
  async withFolder<T>(work: (folder: () => Promise<string>) => Promise<T>): Promise<T> {
    let made: Promise<string> | undefined;
    try {
      return await work(() => (made ??= this.create()));
    } finally {
      const dir = await made?.catch(() => undefined);
      if (dir) await this.remove(dir);
    }
  }
}
