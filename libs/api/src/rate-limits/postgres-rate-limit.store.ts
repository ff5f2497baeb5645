import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB } from '@sigdesk/db';
import type { RateLimitStore, WindowCount } from './rate-limit.store';

/**
 * Counters in PostgreSQL (without Redis), in the UNLOGGED table `rate_limit_counters`: one upsert per hit, which
 * starts a new window when the bucket's last one has ended. Rows of ended windows are deleted every window.
 */
export class PostgresRateLimitStore implements RateLimitStore, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PostgresRateLimitStore.name);
  private pruning?: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly pruneEveryMs: number,
  ) {}

  async hit(bucket: string, windowMs: number): Promise<WindowCount> {
    const { rows } = await sql<{ hits: number; reset_in_ms: number }>`
      INSERT INTO rate_limit_counters AS c (bucket, hits, resets_at)
      VALUES (${bucket}, 1, clock_timestamp() + make_interval(secs => ${windowMs / 1000}))
      ON CONFLICT (bucket) DO UPDATE SET
        hits = CASE WHEN c.resets_at <= clock_timestamp() THEN 1 ELSE c.hits + 1 END,
        resets_at = CASE WHEN c.resets_at <= clock_timestamp() THEN excluded.resets_at ELSE c.resets_at END
      RETURNING hits, (extract(epoch FROM resets_at - clock_timestamp()) * 1000)::float8 AS reset_in_ms
    `.execute(this.db);
    return { hits: rows[0].hits, resetInMs: Math.max(0, rows[0].reset_in_ms) };
  }

  /** Deletes the rows of ended windows; a bucket hit again starts a new row. */
  async prune(): Promise<number> {
    const result = await this.db
      .deleteFrom('rate_limit_counters')
      .where('resets_at', '<', sql<Date>`clock_timestamp()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  onModuleInit(): void {
    this.pruning = setInterval(() => {
      this.prune().catch((error: unknown) => this.logger.warn({ err: error }, 'pruning rate limit counters failed'));
    }, this.pruneEveryMs);
    this.pruning.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruning);
  }
}
