import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { JobName, JobOf, QueueName, QUEUE_OF_JOB } from './jobs';
import { OutboxRepository } from './outbox.repository';
import { QueueBackend } from './queue-backend';

const DEFAULT_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The producer side of the queues: typed enqueueing and the outbox relay. */
@Injectable()
export class JobQueueService {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Intake) intake: Queue,
    @InjectQueue(QueueName.Maintenance) maintenance: Queue,
    @InjectQueue(QueueName.Sla) sla: Queue,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Signatures) signatures: Queue,
    @InjectQueue(QueueName.Builds) builds: Queue,
    private readonly outbox: OutboxRepository,
    private readonly backend: QueueBackend,
  ) {
    this.queues = {
      [QueueName.Intake]: intake,
      [QueueName.Maintenance]: maintenance,
      [QueueName.Sla]: sla,
      [QueueName.Notifications]: notifications,
      [QueueName.Signatures]: signatures,
      [QueueName.Builds]: builds,
    };
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  allQueues(): Queue[] {
    return Object.values(this.queues);
  }

  /** Which store the queues run on. */
  get backendKind() {
    return this.backend.kind;
  }

  /** How many jobs each queue holds, by state. */
  async jobCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>> {
    return Promise.all(
      this.allQueues().map(async (queue) => ({
        queue: queue.name,
        counts: await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
      })),
    );
  }

  /** Whether the queues' store answers, through the queues' own connection. */
  ping(): Promise<void> {
    return this.backend.ping(this.queues[QueueName.Intake]);
  }

  async enqueue<N extends JobName>(name: N, payload: JobOf<N>, jobId?: string, options: JobsOptions = {}) {
    await this.queues[QUEUE_OF_JOB[name]].add(name, payload, { ...DEFAULT_OPTIONS, ...options, jobId });
  }

  /** Moves every pending outbox row to its queue. Safe to run anywhere, any number of times. */
  async relayOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await this.outbox.relayBatch(200, async (jobs) => {
        for (const job of jobs) {
          await this.queues[job.queue as QueueName].add(job.job_name, job.payload, {
            ...DEFAULT_OPTIONS,
            ...job.options,
            jobId: job.job_id,
            ...(job.run_at ? { delay: Math.max(0, job.run_at.getTime() - Date.now()) } : {}),
          });
        }
      });
      total += relayed;
      if (relayed < 200) return total;
    }
  }

  /** After a commit: relay now, and leave anything that fails to the periodic relay. */
  relaySoon(): void {
    this.relayOutbox().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'outbox relay failed; the periodic relay will retry'),
    );
  }
}
