import { Injectable } from '@nestjs/common';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { SampleObjectClaimsRepository } from './sample-object-claims.repository';

/** An S3 delete that has not answered by then is abandoned, well before its claim expires. */
const DELETE_TIMEOUT_MS = 60_000;

/**
 * Removes a sample's object from S3 when nothing relies on it. Checking that no samples row records an object,
 * then deleting it, would race a submission that stores the same file in between (its upload lands before the
 * delete, its case commits after the check, and the recorded sample is never uploaded again); so each deletion
 * is claimed first, under the lock submissions take to claim their samples, and only when no samples row
 * records the object and no submission claims it (see SampleObjectClaimsRepository).
 */
@Injectable()
export class SampleObjectRemover {
  constructor(
    private readonly store: ObjectStore,
    private readonly claims: SampleObjectClaimsRepository,
  ) {}

  /**
   * True when the object was removed (it leaves the sweeper's candidates then); false when it is recorded or
   * claimed. Throws when S3 fails: the object stays a candidate, for the sweeper.
   */
  async remove(sha256: string): Promise<boolean> {
    const claim = await this.claims.claimDeletion(sha256);
    if (!claim) return false;
    let removed = false;
    try {
      await this.store.delete(StorageKeys.sample(sha256), { signal: AbortSignal.timeout(DELETE_TIMEOUT_MS) });
      removed = true;
    } finally {
      await this.claims.releaseDeletion(claim, removed);
    }
    return removed;
  }
}
