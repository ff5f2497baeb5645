import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@sigdesk/accounts';
import { DatabaseProbe } from '@sigdesk/db';
import { JobQueueService } from '@sigdesk/queues';
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
    private readonly database: DatabaseProbe,
    private readonly jobs: JobQueueService,
    private readonly store: ObjectStore,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'up' };
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, queues, s3] = await Promise.all([
      check(() => this.database.ping()),
      check(() => this.jobs.ping()),
      check(() => this.store.ping()),
    ]);
    const up = [postgres, queues, s3].every((c) => c.status === 'up');
    void reply.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    // each dependency by its name: Redis when the queues run there, else the queues' tables in PostgreSQL
    const queueCheck = this.jobs.backendKind === 'redis' ? { redis: queues } : { queues };
    return { status: up ? 'up' : 'down', checks: { postgres, ...queueCheck, s3 } };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
