import { Logger, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { redisConnectionOptions } from '@sigdesk/queues';
import type { RateLimitStore, WindowCount } from './rate-limit.store';

/** How long a count may take before the limiter gives up on it (and serves the request). */
const COMMAND_TIMEOUT_MS = 500;

/** One round trip, atomic: the first hit of a window starts its expiry. */
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;

type RedisWithHit = Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

/**
 * Counters in Redis (when `REDIS_URL` is set), on a connection of their own that never queues a command while
 * Redis is away: a count that cannot be made fails at once, and the limiter serves the request.
 */
export class RedisRateLimitStore implements RateLimitStore, OnModuleDestroy {
  private readonly logger = new Logger(RedisRateLimitStore.name);
  private readonly redis: RedisWithHit;
  private closing = false;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis({
      ...redisConnectionOptions(url),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectionName: 'sigdesk-rate-limits',
      // no reconnection once the process stops: a reconnection under way would keep it alive
      retryStrategy: (attempt: number) => (this.closing ? null : Math.min(attempt * 100, 2_000)),
    }) as RedisWithHit;
    // losing the connection is reported by the counts that fail; ioredis reconnects by itself
    this.redis.on('error', (error: Error) => this.logger.debug({ err: error }, 'rate limit store connection'));
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
  }

  async hit(bucket: string, windowMs: number): Promise<WindowCount> {
    const [hits, resetInMs] = await this.redis.rateLimitHit(`${this.prefix}:rate-limit:${bucket}`, windowMs);
    return { hits: Number(hits), resetInMs: Number(resetInMs) };
  }

  onModuleDestroy(): void {
    this.closing = true;
    this.redis.disconnect();
  }
}
