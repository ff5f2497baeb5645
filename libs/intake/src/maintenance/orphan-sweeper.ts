import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { ObjectStore } from '@sigdesk/storage';
import { SampleObjectClaimsRepository } from '../samples/sample-object-claims.repository';
import { SampleObjectRemover } from '../samples/sample-object-remover';
import { StagingObjectsRepository } from '../samples/staging-objects.repository';

/** Candidates read at a time. */
const PAGE_SIZE = 500;

/**
 * Removes sample objects that no case references: what a submission or a reply wrote to S3 before its
 * transaction was refused or its process died, and that it could not remove itself. Its candidates are the
 * uploads listed in PostgreSQL before they began (sample_object_uploads), not a listing of the bucket: listing
 * pages through S3 with continuation tokens, which the embedded S3 server cannot make past 1,000 objects, and
 * reads every object kept for good. Uploads that began less than the grace period ago are left alone; each
 * removal is claimed under the samples' lock (see SampleObjectRemover), so an object a submission relies on is
 * never removed under it. Upload claims of processes of this machine that are gone are ended first: an API killed
 * mid-request keeps its uploads from the sweeper no longer than it lived.
 */
@Injectable()
export class OrphanSampleSweeper {
  private readonly logger = new Logger(OrphanSampleSweeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly claims: SampleObjectClaimsRepository,
    private readonly remover: SampleObjectRemover,
    private readonly stagingObjects: StagingObjectsRepository,
    private readonly objects: ObjectStore,
  ) {}

  /**
   * `scanned`: the candidates older than the grace period; `deleted`: the objects removed; `staging`: the staging
   * objects removed (their requests died, or stopped renewing them).
   */
  async sweep(now = new Date()): Promise<{ scanned: number; deleted: number; staging: number }> {
    const samples = await this.sweepSamples(now);
    return { ...samples, staging: await this.sweepStaging() };
  }

  /** Staging objects of requests that are gone: the object, then its row. */
  private async sweepStaging(): Promise<number> {
    let removed = 0;
    let failed = 0;
    let lastError: unknown;
    let after: string | null = null;
    for (;;) {
      const page = await this.stagingObjects.abandoned(after, PAGE_SIZE);
      if (page.last === null) break;
      after = page.last;
      for (const key of page.keys) {
        try {
          await this.objects.delete(key);
          await this.stagingObjects.forget(key);
          removed++;
        } catch (error) {
          failed++;
          lastError = error;
          this.logger.warn({ err: error, key }, 'removing an abandoned staging object failed');
        }
      }
    }
    if (removed) this.logger.log({ removed }, 'abandoned staging objects removed');
    if (failed) {
      throw new Error(`${failed} staging object(s) could not be removed; the next sweep tries again`, {
        cause: lastError,
      });
    }
    return removed;
  }

  private async sweepSamples(now: Date): Promise<{ scanned: number; deleted: number }> {
    const before = new Date(now.getTime() - this.config.intake.orphanGraceMs);
    const ended = await this.claims.endClaimsOfGoneHolders();
    if (ended) this.logger.log({ ended }, 'upload claims of processes that are gone ended');
    let scanned = 0;
    let deleted = 0;
    let failed = 0;
    let lastError: unknown;
    let after: string | null = null;
    for (;;) {
      const page = await this.claims.uploadsStartedBefore(before, after, PAGE_SIZE);
      if (page.length === 0) break;
      scanned += page.length;
      after = page[page.length - 1].sha256;
      // spares a claim (a transaction) per recorded object; the claim decides, under the lock
      const recorded = new Set(await this.claims.forgetRecordedUploads(page.map((u) => u.sha256)));
      for (const upload of page) {
        if (recorded.has(upload.sha256)) continue;
        try {
          if (await this.remover.remove(upload.sha256)) deleted++;
        } catch (error) {
          // one object S3 will not remove does not keep the others: it stays a candidate for the next sweep
          failed++;
          lastError = error;
          this.logger.warn({ err: error, sha256: upload.sha256 }, 'removing an orphan sample failed');
        }
      }
    }
    if (deleted) this.logger.log({ scanned, deleted }, 'orphan samples removed');
    if (failed) {
      throw new Error(`${failed} orphan sample(s) could not be removed; the next sweep tries again`, {
        cause: lastError,
      });
    }
    return { scanned, deleted };
  }
}
