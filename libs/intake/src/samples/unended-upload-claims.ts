import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { SampleObjectClaimsRepository, UPLOAD_CLAIM_TTL_MS, UploadClaim } from './sample-object-claims.repository';

/** How often the claims that could not be ended are tried again. */
const RETRY_MS = 5_000;

/**
 * Upload claims that a request could not end because PostgreSQL was away when it tried. Each would keep its
 * objects from the orphan sweeper until it expires; ended as soon as PostgreSQL answers again instead, the
 * objects of requests that failed meanwhile become the sweeper's the moment their grace period is over.
 * Claims still here at their expiry are dropped: they end by themselves then.
 */
@Injectable()
export class UnendedUploadClaims implements OnApplicationShutdown {
  private readonly logger = new Logger(UnendedUploadClaims.name);
  private readonly pending = new Map<UploadClaim, number>();
  private timer: NodeJS.Timeout | null = null;
  private retrying: Promise<void> | null = null;

  constructor(private readonly claims: SampleObjectClaimsRepository) {}

  /** Keeps a claim to end later; `takenAt`: when it was last taken or renewed. */
  add(claim: UploadClaim, takenAt: number): void {
    this.pending.set(claim, takenAt + UPLOAD_CLAIM_TTL_MS);
    this.timer ??= setInterval(() => void this.retry(), RETRY_MS).unref();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Tries to end every pending claim once; resolves when done (concurrent calls share one pass). */
  retry(now = Date.now()): Promise<void> {
    this.retrying ??= this.endAll(now).finally(() => {
      this.retrying = null;
      if (this.pending.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    });
    return this.retrying;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.pending.size > 0) await this.retry();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async endAll(now: number): Promise<void> {
    let ended = 0;
    for (const [claim, expiresAt] of this.pending) {
      if (now >= expiresAt) {
        this.pending.delete(claim);
        continue;
      }
      try {
        const lost = await this.claims.releaseUploads(claim);
        if (lost.length) this.logger.warn({ samples: lost }, 'sample claims had expired before they could be ended');
        this.pending.delete(claim);
        ended++;
      } catch (error) {
        // still away: the rest would fail the same way
        this.logger.warn({ err: error, pending: this.pending.size }, 'ending sample claims failed again; retrying');
        return;
      }
    }
    if (ended) this.logger.log({ ended }, 'sample claims ended once PostgreSQL answered again');
  }
}
