import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { BuildsService, DatabaseBuilder } from '@sigdesk/builds';
import { AppConfig } from '@sigdesk/config';
import { IdempotencyRepository, IntakeJobs, OrphanSampleSweeper } from '@sigdesk/intake';
import { WebhookDeliverer } from '@sigdesk/notifications';
import { MetricsService } from '@sigdesk/ops';
import { ReviewService, SlaTimers } from '@sigdesk/review';
import {
  ChangeValidator,
  CompiledRulesetsSweeper,
  RulePackAnalyser,
  ScanVerdictsPruner,
  UnacceptedRulePackSweeper,
} from '@sigdesk/signatures';
import { dispatchJob, JobHandlers, JobName, JobQueueService, QueueName } from '@sigdesk/queues';

/** Below fresh deliveries (priority 0, taken first), for deliveries postponed behind their organisation's share. */
const POSTPONED_DELIVERY_PRIORITY = 10;

abstract class DispatchingProcessor<Q extends QueueName> extends WorkerHost {
  protected abstract readonly logger: Logger;
  abstract handlers(): JobHandlers<Q>;
  protected abstract readonly metrics: MetricsService;

  async process(job: Job, token?: string): Promise<unknown> {
    try {
      const result = await dispatchJob(this.handlers(), job, this.logger, token);
      this.metrics.jobsProcessed.inc({ queue: job.queueName, job: job.name, outcome: 'completed' });
      return result;
    } catch (error) {
      // moved back to the delayed jobs by its handler: neither a failure nor an attempt
      if (error instanceof DelayedError || (error as Error | undefined)?.name === 'DelayedError') {
        this.metrics.jobsProcessed.inc({ queue: job.queueName, job: job.name, outcome: 'postponed' });
        throw error;
      }
      this.metrics.jobsProcessed.inc({ queue: job.queueName, job: job.name, outcome: 'failed' });
      this.logger.warn({ jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, err: error }, 'job failed');
      throw error;
    }
  }
}

@Processor(QueueName.Intake, { concurrency: 4 })
export class IntakeQueueProcessor extends DispatchingProcessor<QueueName.Intake> {
  protected readonly logger = new Logger(IntakeQueueProcessor.name);

  constructor(
    private readonly intake: IntakeJobs,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Intake> {
    return {
      [JobName.IntakeCase]: (payload) => this.intake.intakeCase(payload),
      [JobName.DigestSample]: (payload) => this.intake.digestSample(payload),
    };
  }
}

@Processor(QueueName.Maintenance, { concurrency: 1 })
export class MaintenanceQueueProcessor extends DispatchingProcessor<QueueName.Maintenance> {
  protected readonly logger = new Logger(MaintenanceQueueProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
    private readonly sweeper: OrphanSampleSweeper,
    private readonly idempotency: IdempotencyRepository,
    private readonly review: ReviewService,
    private readonly rulePacks: UnacceptedRulePackSweeper,
    private readonly compiledRulesets: CompiledRulesetsSweeper,
    private readonly scanVerdicts: ScanVerdictsPruner,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Maintenance> {
    return {
      [JobName.RelayOutbox]: async () => ({ relayed: await this.jobs.relayOutbox() }),
      [JobName.SweepOrphanSamples]: () => this.sweeper.sweep(),
      [JobName.PruneIdempotencyKeys]: async () => ({
        deleted: await this.idempotency.deleteOlderThan(new Date(Date.now() - this.config.intake.idempotencyTtlMs)),
      }),
      [JobName.ReleaseStaleClaims]: async () => ({ released: await this.review.releaseStaleClaims() }),
      [JobName.SweepRulePackImports]: () => this.rulePacks.sweep(),
      [JobName.SweepCompiledRulesets]: () => this.compiledRulesets.sweep(),
      [JobName.PruneScanVerdicts]: () => this.scanVerdicts.prune(),
    };
  }
}

@Processor(QueueName.Sla, { concurrency: 4 })
export class SlaQueueProcessor extends DispatchingProcessor<QueueName.Sla> {
  protected readonly logger = new Logger(SlaQueueProcessor.name);

  constructor(
    private readonly timers: SlaTimers,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Sla> {
    return {
      [JobName.CheckResponseClock]: (payload) => this.timers.check(payload),
      [JobName.SweepResponseClocks]: () => this.timers.sweep(),
    };
  }
}

/**
 * Webhook deliveries: `SIGDESK_WEBHOOKS_CONCURRENCY` at once per worker process. An organisation has at most
 * `SIGDESK_WEBHOOKS_ORGANIZATION_CONCURRENCY` attempts in flight across all workers; its other deliveries go back to
 * the delayed jobs for a moment (not an attempt), so that a receiver that never answers holds its owner's slots
 * only, and the worker's other slots keep serving everyone else. A postponed job also loses its place in the line:
 * it comes back with a lower priority, behind every fresh delivery (both queue backends take jobs without a priority
 * first), so that however many of one organisation's deliveries wait, they are never ahead of another's new one.
 */
@Processor(QueueName.Notifications, { concurrency: 16 })
export class NotificationsQueueProcessor
  extends DispatchingProcessor<QueueName.Notifications>
  implements OnApplicationBootstrap
{
  protected readonly logger = new Logger(NotificationsQueueProcessor.name);

  constructor(
    private readonly deliverer: WebhookDeliverer,
    private readonly config: AppConfig,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhooks.concurrency;
  }

  handlers(): JobHandlers<QueueName.Notifications> {
    return {
      [JobName.DeliverWebhook]: async (payload, job, token) => {
        // each start that was not an attempt was a postponement (this start is neither yet)
        const postponedBefore = Math.max(job.attemptsStarted - job.attemptsMade - 1, 0);
        const attempt = await this.deliverer.deliver(
          payload.deliveryId,
          job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          postponedBefore,
        );
        if (attempt.postponeMs === undefined) return attempt;
        if (!token) throw new Error('a webhook delivery can only be postponed by the worker holding its job');
        await job.moveToDelayed(Date.now() + attempt.postponeMs, token);
        if (job.priority !== POSTPONED_DELIVERY_PRIORITY) {
          // the job is delayed already: failing to lower it costs fairness for one round, not the delivery
          await job.changePriority({ priority: POSTPONED_DELIVERY_PRIORITY }).catch((error: unknown) => {
            this.logger.warn({ jobId: job.id, err: error }, 'could not lower the priority of a postponed delivery');
          });
        }
        throw new DelayedError();
      },
    };
  }
}

/**
 * A validation whose worker died is taken up again once its lock has run out and a stalled-job check has seen it:
 * within about 40 s (the lock is renewed every 10 s while the validation runs; its scans run off the event loop).
 */
@Processor(QueueName.Signatures, { concurrency: 1, lockDuration: 20_000, stalledInterval: 10_000 })
export class SignaturesQueueProcessor extends DispatchingProcessor<QueueName.Signatures> {
  protected readonly logger = new Logger(SignaturesQueueProcessor.name);

  constructor(
    private readonly validator: ChangeValidator,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Signatures> {
    return {
      [JobName.ValidateSignatureChange]: (payload, job) =>
        this.validator.validate(payload.changeId, (progress) => job.updateProgress(progress)),
    };
  }
}

/** A pack's analysis runs for minutes; its scans run off the event loop, so the lock is renewed while it runs. */
@Processor(QueueName.Imports, { concurrency: 1, lockDuration: 60_000 })
export class ImportsQueueProcessor extends DispatchingProcessor<QueueName.Imports> {
  protected readonly logger = new Logger(ImportsQueueProcessor.name);

  constructor(
    private readonly analyser: RulePackAnalyser,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Imports> {
    return {
      [JobName.AnalyseRulePack]: (payload, job) =>
        this.analyser.analyse(payload.importId, (progress) => job.updateProgress(progress)),
    };
  }
}

@Processor(QueueName.Builds, { concurrency: 1, lockDuration: 300_000 })
export class BuildsQueueProcessor extends DispatchingProcessor<QueueName.Builds> {
  protected readonly logger = new Logger(BuildsQueueProcessor.name);

  constructor(
    private readonly builder: DatabaseBuilder,
    private readonly builds: BuildsService,
    protected readonly metrics: MetricsService,
  ) {
    super();
  }

  handlers(): JobHandlers<QueueName.Builds> {
    return {
      [JobName.BuildDatabase]: (payload, job) =>
        this.builder.build(payload.channel, payload.kind, (progress) => job.updateProgress(progress)),
      [JobName.SweepUnbuiltChanges]: () => this.builds.requestForWaitingChanges(),
      [JobName.RequestScheduledBuilds]: () => this.builds.requestScheduledBuilds(),
    };
  }
}
