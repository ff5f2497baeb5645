import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import { AppConfig } from '@sigdesk/config';
import { QueueName } from './jobs';
import { JobQueueService } from './job-queue.service';
import { OutboxRepository } from './outbox.repository';
import { UnitOfWork } from './unit-of-work';

/** Connection options from a redis:// or rediss:// URL; BullMQ opens (and closes) its own connections with them. */
export function redisConnectionOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // BullMQ needs maxRetriesPerRequest null for its blocking connections
    maxRetriesPerRequest: null,
  };
}

@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        connection: redisConnectionOptions(config.redis.url),
        prefix: config.redis.prefix,
      }),
    }),
    BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
  ],
  providers: [OutboxRepository, JobQueueService, UnitOfWork],
  exports: [BullModule, OutboxRepository, JobQueueService, UnitOfWork],
})
export class QueuesModule {}
