import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Job, JobsOptions, Queue } from 'bullmq';
import { answerWithin } from './bounded-wait';
import { logQueueErrors } from './connection-errors';
import { JobName, JobOf, QueueName, QUEUE_OF_JOB } from './jobs';
import { OutboxRepository, PendingJob } from './outbox.repository';
import { QueueBackend } from './queue-backend';

const DEFAULT_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * How long one call to the queues' store may take before the caller gives up on it. On Redis a command waits for
 * a lost connection to come back (BullMQ needs ioredis's `maxRetriesPerRequest: null`): without a bound, a Redis
 * outage would stop every caller.
 */
export const QUEUE_ANSWER_MS = 5_000;

const RELAY_BATCH = 200;
/** Longer than a batch takes while the queues answer; a relay that died is taken over once it has run out. */
const RELAY_CLAIM_MS = 60_000;

/** What `restore` found and did. */
export type RestoredJob = 'present' | 'added' | 'rerun' | 'failed_for_good';

/** A job that failed only because its attempts ran out, or because its worker died too often (not a permanent error). */
function failedForRetry(job: Job): boolean {
  return job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than allowable limit/.test(job.failedReason);
}

/** The producer side of the queues: typed enqueueing and the outbox relay. */
@Injectable()
export class JobQueueService {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly queues: Record<QueueName, Queue>;
  /** The relay running in this process, and the one run that follows it for everyone who asked meanwhile. */
  private relaying?: Promise<number>;
  private relayAgain?: Promise<number>;
  private readonly watchedRelays = new WeakSet<Promise<number>>();

  constructor(
    @InjectQueue(QueueName.Intake) intake: Queue,
    @InjectQueue(QueueName.Maintenance) maintenance: Queue,
    @InjectQueue(QueueName.Sla) sla: Queue,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
    @InjectQueue(QueueName.Signatures) signatures: Queue,
    @InjectQueue(QueueName.Builds) builds: Queue,
    @InjectQueue(QueueName.Imports) imports: Queue,
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
      [QueueName.Imports]: imports,
    };
    for (const queue of this.allQueues()) logQueueErrors(queue, this.logger, `queue ${queue.name}`);
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

  /** How many jobs each queue holds, by state; a queue that does not answer in time is left out. */
  async jobCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>> {
    const counted = await Promise.allSettled(
      this.allQueues().map(async (queue) => ({
        queue: queue.name,
        counts: await answerWithin(
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
          QUEUE_ANSWER_MS,
          `counting the jobs of ${queue.name}`,
        ),
      })),
    );
    return counted.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  /** Whether the queues' store answers, through the queues' own connection. */
  ping(): Promise<void> {
    return this.backend.ping(this.queues[QueueName.Intake]);
  }

  /** Adds a job; a store that does not answer in time makes it throw (the add may still happen later). */
  async enqueue<N extends JobName>(name: N, payload: JobOf<N>, jobId?: string, options: JobsOptions = {}) {
    await answerWithin(
      this.queues[QUEUE_OF_JOB[name]].add(name, payload, { ...DEFAULT_OPTIONS, ...options, jobId }),
      QUEUE_ANSWER_MS,
      `adding ${name}`,
    );
  }

  /**
   * Moves every pending outbox row to its queue. Safe to run anywhere, any number of times: at most one relay runs
   * in a process, and a call while one runs is answered by the single run that follows it.
   */
  relayOutbox(): Promise<number> {
    if (!this.relaying) {
      this.relaying = this.relayPending().finally(() => (this.relaying = undefined));
      return this.relaying;
    }
    this.relayAgain ??= this.relaying
      .catch(() => 0)
      .then(() => {
        this.relayAgain = undefined;
        return this.relayOutbox();
      });
    return this.relayAgain;
  }

  /** After a commit: relay now, and leave anything that fails to the periodic relay. */
  relaySoon(): void {
    const run = this.relayOutbox();
    // commits that arrive during a relay share the one that follows it: its failure is logged once
    if (this.watchedRelays.has(run)) return;
    this.watchedRelays.add(run);
    run.catch((error: unknown) =>
      this.logger.warn({ err: error }, 'outbox relay failed; the periodic relay will retry'),
    );
  }

  /**
   * Rows are claimed in a short transaction of their own, added to their queues with no transaction open (each add
   * bounded in time: BullMQ's jobId makes an add that completes late, or twice, harmless), then marked dispatched.
   * The first add that fails ends the relay; the rows not added are given back at once.
   */
  private async relayPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.outbox.claimBatch(RELAY_BATCH, RELAY_CLAIM_MS);
      const added: string[] = [];
      try {
        for (const row of rows) {
          await this.addPending(row);
          added.push(row.id);
        }
      } catch (error) {
        await this.outbox.markDispatched(added);
        await this.outbox.releaseClaims(rows.slice(added.length).map((row) => row.id));
        throw error;
      }
      await this.outbox.markDispatched(added);
      total += added.length;
      if (rows.length < RELAY_BATCH) return total;
    }
  }

  private async addPending(row: PendingJob): Promise<void> {
    await answerWithin(
      this.queues[row.queue as QueueName].add(row.job_name, row.payload, {
        ...DEFAULT_OPTIONS,
        ...row.options,
        jobId: row.job_id,
        ...(row.run_at ? { delay: Math.max(0, row.run_at.getTime() - Date.now()) } : {}),
      }),
      QUEUE_ANSWER_MS,
      `relaying ${row.job_name} ${row.job_id}`,
    );
  }

  /**
   * Makes a job carry work that PostgreSQL says is due (as read at `dueAsOf`), under its deterministic id: added
   * when the queues lost it; run again when it finished before `dueAsOf` without doing the work (it completed, ran
   * out of attempts or stalled too often); left alone while it waits or runs, and when it failed for good (an
   * UnrecoverableError would fail the same way again: the failed job shows why).
   */
  async restore<N extends JobName>(name: N, payload: JobOf<N>, jobId: string, dueAsOf: Date): Promise<RestoredJob> {
    const queue = this.queues[QUEUE_OF_JOB[name]];
    const job = await answerWithin(queue.getJob(jobId), QUEUE_ANSWER_MS, `looking up ${jobId}`);
    if (!job) {
      await this.enqueue(name, payload, jobId);
      return 'added';
    }
    const state = await answerWithin(job.getState(), QUEUE_ANSWER_MS, `reading the state of ${jobId}`);
    if (state !== 'completed' && state !== 'failed') return 'present';
    if (!job.finishedOn || job.finishedOn >= dueAsOf.getTime()) return 'present';
    if (state === 'failed' && !failedForRetry(job)) return 'failed_for_good';
    await answerWithin(
      job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true }),
      QUEUE_ANSWER_MS,
      `running ${jobId} again`,
    );
    return 'rerun';
  }

  /**
   * Makes sure a periodic job is scheduled: its scheduler exists with this interval and its next job exists and has
   * not run. True when it had to be (re)created (a new scheduler runs its first job at once).
   */
  async ensureScheduler(id: string, name: JobName, everyMs: number): Promise<boolean> {
    const queue = this.queues[QUEUE_OF_JOB[name]];
    const scheduler = await answerWithin(queue.getJobScheduler(id), QUEUE_ANSWER_MS, `looking up scheduler ${id}`);
    if (scheduler?.every === everyMs && scheduler.next !== undefined) {
      // BullMQ names each iteration of a scheduler `repeat:<scheduler id>:<its time>`
      const next = await answerWithin(queue.getJob(`repeat:${id}:${scheduler.next}`), QUEUE_ANSWER_MS, `next ${id}`);
      const state = next && (await answerWithin(next.getState(), QUEUE_ANSWER_MS, `state of next ${id}`));
      if (state && state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
    }
    await answerWithin(
      queue.upsertJobScheduler(id, { every: everyMs }, { name, data: {} }),
      QUEUE_ANSWER_MS,
      `scheduling ${id}`,
    );
    return true;
  }

  /** Removes a scheduler no longer used. */
  async removeScheduler(id: string, name: JobName): Promise<void> {
    await answerWithin(
      this.queues[QUEUE_OF_JOB[name]].removeJobScheduler(id),
      QUEUE_ANSWER_MS,
      `removing scheduler ${id}`,
    );
  }
}
