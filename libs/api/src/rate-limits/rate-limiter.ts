import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { MetricsService } from '@sigdesk/ops';
import { addressBucket } from './client-address';
import { RATE_LIMIT_STORE, type RateLimitStore } from './rate-limit.store';

/** Past this, a count is given up on and the request served: a slow store must not slow every request down. */
const STORE_TIMEOUT_MS = 1_000;
/** While the store fails, one log line per this much time (each failure is counted in the metric). */
const FAILURE_LOG_EVERY_MS = 30_000;

/** A request past its bucket's limit: when the window ends, and what the limit is. */
export interface RateLimited {
  bucket: 'key' | 'address' | 'failed_auth';
  limit: number;
  windowSeconds: number;
  retryAfterSeconds: number;
}

/**
 * The rate limits of the API: requests per API key, per address for requests without credentials, failed
 * authentications per address; fixed windows of `SIGDESK_RATE_LIMIT_WINDOW_SECONDS` counted in a store that every
 * API process shares. A store that fails or does not answer in time lets the request through (a rate limit is
 * protection, not a dependency): the failure is logged and counted (`sigdesk_rate_limit_store_failures_total`).
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly limits: AppConfig['rateLimits'];
  private lastFailureLogAt = 0;
  private failuresSinceLog = 0;

  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.limits = config.rateLimits;
  }

  /** Counts a request of `principal`: per API key, or per person for a session (all their sessions together). */
  forPrincipal(principal: Pick<Principal, 'keyId' | 'actorId'>): Promise<RateLimited | null> {
    const bucket = principal.keyId ? `key:${principal.keyId}` : `actor:${principal.actorId}`;
    return this.count('key', bucket, this.limits.perKey);
  }

  /** Counts a request without credentials from `ip`. */
  forAddress(ip: string): Promise<RateLimited | null> {
    return this.count('address', `address:${addressBucket(ip)}`, this.limits.perAddress);
  }

  /** Counts a failed authentication from `ip`. */
  forFailedAuthentication(ip: string): Promise<RateLimited | null> {
    return this.count('failed_auth', `failed-auth:${addressBucket(ip)}`, this.limits.failedAuthPerAddress);
  }

  private async count(bucket: RateLimited['bucket'], key: string, limit: number): Promise<RateLimited | null> {
    if (limit <= 0) return null;
    const windowMs = this.limits.windowSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const { hits, resetInMs } = await Promise.race([
        this.store.hit(key, windowMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
        }),
      ]);
      if (hits <= limit) return null;
      return {
        bucket,
        limit,
        windowSeconds: this.limits.windowSeconds,
        retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000)),
      };
    } catch (error) {
      this.storeFailed(error);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private storeFailed(error: unknown): void {
    this.metrics.rateLimitStoreFailures.inc();
    this.failuresSinceLog++;
    const now = Date.now();
    if (now - this.lastFailureLogAt < FAILURE_LOG_EVERY_MS) return;
    this.logger.warn(
      { err: error, failures: this.failuresSinceLog },
      'the rate limit store failed: requests are served without their rate limit',
    );
    this.lastFailureLogAt = now;
    this.failuresSinceLog = 0;
  }
}
