import { Injectable, Logger } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { ObjectStore, StorageKeys, StoredObject } from '@sigdesk/storage';
import { SampleObjectClaimsRepository } from '../samples/sample-object-claims.repository';

/** An S3 delete that has not answered by then is abandoned, well before its claim expires. */
const DELETE_TIMEOUT_MS = 60_000;

/**
 * Removes sample objects that no case references: what a submission wrote to S3 before its transaction was
 * refused or crashed. Objects younger than the grace period are left alone. Checking that no samples row
 * records an object, then deleting it, would race a submission that stores the same file in between (its
 * upload lands before the delete, its case commits after the check, and the recorded sample is never uploaded
 * again); so each deletion is claimed first, under the lock submissions take to claim their samples, and only
 * when no samples row records the object and no submission claims it (see SampleObjectClaimsRepository).
 */
@Injectable()
export class OrphanSampleSweeper {
  private readonly logger = new Logger(OrphanSampleSweeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly store: ObjectStore,
    private readonly cases: CasesRepository,
    private readonly claims: SampleObjectClaimsRepository,
  ) {}

  async sweep(now = new Date()): Promise<{ scanned: number; deleted: number }> {
    const cutoff = now.getTime() - this.config.intake.orphanGraceMs;
    let scanned = 0;
    let deleted = 0;
    let batch: Array<StoredObject & { sha256: string }> = [];
    const flush = async () => {
      // spares a claim (a transaction) per recorded object; the claim decides, under the lock
      const known = await this.cases.knownSamples(batch.map((o) => o.sha256));
      for (const object of batch) {
        if (known.has(object.sha256)) continue;
        if (await this.remove(object.key, object.sha256)) deleted++;
      }
      batch = [];
    };
    for await (const object of this.store.list(StorageKeys.samplesPrefix)) {
      scanned++;
      const sha256 = StorageKeys.sha256OfSampleKey(object.key);
      if (!sha256 || object.lastModified.getTime() > cutoff) continue;
      batch.push({ ...object, sha256 });
      if (batch.length >= 500) await flush();
    }
    await flush();
    if (deleted) this.logger.log({ scanned, deleted }, 'orphan samples removed');
    return { scanned, deleted };
  }

  private async remove(key: string, sha256: string): Promise<boolean> {
    const claim = await this.claims.claimDeletion(sha256);
    if (!claim) return false; // recorded or claimed since it was listed
    try {
      await this.store.delete(key, { signal: AbortSignal.timeout(DELETE_TIMEOUT_MS) });
      return true;
    } finally {
      await this.claims.releaseDeletion(claim);
    }
  }
}
