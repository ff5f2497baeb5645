import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { Kysely } from 'kysely';
import { Public } from '@sigdesk/accounts';
import { DB, pingDatabase } from '@sigdesk/db';
import { QueueName } from '@sigdesk/queues';
import { ObjectStore } from '@sigdesk/storage';
import { MetricsService } from './metrics.service';

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<{ status: 'up' | 'down'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Public()
@Controller()
export class OpsController {
  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    @InjectQueue(QueueName.Intake) private readonly queue: Queue,
    private readonly store: ObjectStore,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'up' };
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, redis, s3] = await Promise.all([
      check(() => pingDatabase(this.db)),
      check(async () => ((await this.queue.client) as unknown as Redis).ping()),
      check(() => this.store.ping()),
    ]);
    const up = [postgres, redis, s3].every((c) => c.status === 'up');
    void reply.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: up ? 'up' : 'down', checks: { postgres, redis, s3 } };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
