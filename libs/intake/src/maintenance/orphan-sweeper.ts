import { Injectable, Logger } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { ObjectStore, StorageKeys, StoredObject } from '@sigdesk/storage';

/**
 * Removes sample objects that no case references: what a submission wrote to S3 before its transaction was
 * refused or crashed. Objects younger than the grace period are left alone, since a submission may be
 * between its upload and its commit.
 */
@Injectable()
export class OrphanSampleSweeper {
  private readonly logger = new Logger(OrphanSampleSweeper.name);

  constructor(
    private readonly config: AppConfig,
    private readonly store: ObjectStore,
    private readonly cases: CasesRepository,
  ) {}

  async sweep(now = new Date()): Promise<{ scanned: number; deleted: number }> {
    const cutoff = now.getTime() - this.config.intake.orphanGraceMs;
    let scanned = 0;
    let deleted = 0;
    let batch: Array<StoredObject & { sha256: string }> = [];
    const flush = async () => {
      const known = await this.cases.knownSamples(batch.map((o) => o.sha256));
      for (const object of batch) {
        if (known.has(object.sha256)) continue;
        await this.store.delete(object.key);
        deleted++;
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
}
