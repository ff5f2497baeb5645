import { Injectable, Logger } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { ObjectCache, StorageKeys } from '@sigdesk/storage';

/** The digests analysts' tools know samples by, besides the SHA-256 that identifies them. */
const ANALYST_DIGESTS = ['sha1', 'md5'] as const;

/**
 * Computes samples' SHA-1 and MD5 after their upload has been answered, from the stored bytes: an upload hashes
 * only the SHA-256 (its identity and key) while its body arrives. The bytes are read from the local object cache,
 * which the scans that follow read too, or fetched into it: once for both. Samples are shared by cases (one row per
 * SHA-256): a sample whose digests are recorded is not read again, whoever asks, and a job run twice records nothing
 * twice.
 */
@Injectable()
export class SampleDigests {
  private readonly logger = new Logger(SampleDigests.name);

  constructor(
    private readonly cases: CasesRepository,
    private readonly objects: ObjectCache,
  ) {}

  /** Records the SHA-1 and MD5 of those of `sha256s` without them; how many it computed. */
  async complete(sha256s: readonly string[]): Promise<number> {
    const missing = await this.cases.withoutDigests([...new Set(sha256s)]);
    for (const sha256 of missing) {
      // verified against the SHA-256 in the same read: the digests are of the sample's own bytes
      const { digests } = await this.objects.localCopyWithDigests(StorageKeys.sample(sha256), sha256, ANALYST_DIGESTS);
      await this.cases.recordDigests(sha256, digests);
    }
    if (missing.length) this.logger.log({ samples: missing.length }, 'sample digests recorded');
    return missing.length;
  }
}
