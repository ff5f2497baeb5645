import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { IntakeModule } from '@sigdesk/intake';
import { NotificationsModule } from '@sigdesk/notifications';
import { ReviewModule } from '@sigdesk/review';
import { SignaturesModule } from '@sigdesk/signatures';
import { BuildsModule } from '@sigdesk/builds';
import { AppConfig } from '@sigdesk/config';
import { OpsModule } from '@sigdesk/ops';
import { assertEveryJobHandled, JobName, JobQueueService, logQueueErrors, QUEUE_OF_JOB } from '@sigdesk/queues';
import {
  BuildsQueueProcessor,
  IntakeQueueProcessor,
  MaintenanceQueueProcessor,
  NotificationsQueueProcessor,
  SignaturesQueueProcessor,
  SlaQueueProcessor,
} from './queue.processors';

/** Periodic work; each scheduler id is persisted in Redis: never rename one. */
const SCHEDULES: Array<{ id: string; job: JobName; everyMs: number }> = [
  { id: 'relay-outbox', job: JobName.RelayOutbox, everyMs: 15_000 },
  { id: 'sweep-orphan-samples', job: JobName.SweepOrphanSamples, everyMs: 30 * 60_000 },
  { id: 'prune-idempotency-keys', job: JobName.PruneIdempotencyKeys, everyMs: 60 * 60_000 },
  { id: 'release-stale-claims', job: JobName.ReleaseStaleClaims, everyMs: 60_000 },
  { id: 'sweep-response-clocks', job: JobName.SweepResponseClocks, everyMs: 60_000 },
  { id: 'sweep-unbuilt-changes', job: JobName.SweepUnbuiltChanges, everyMs: 60_000 },
];

/** The queue consumers. Only processes started as workers import this module. */
@Module({
  imports: [IntakeModule, ReviewModule, NotificationsModule, SignaturesModule, BuildsModule, OpsModule],
  providers: [
    IntakeQueueProcessor,
    MaintenanceQueueProcessor,
    SlaQueueProcessor,
    NotificationsQueueProcessor,
    SignaturesQueueProcessor,
    BuildsQueueProcessor,
  ],
})
export class WorkerModule implements OnApplicationBootstrap {
  private readonly logger = new Logger(WorkerModule.name);

  constructor(
    private readonly intake: IntakeQueueProcessor,
    private readonly maintenance: MaintenanceQueueProcessor,
    private readonly sla: SlaQueueProcessor,
    private readonly notifications: NotificationsQueueProcessor,
    private readonly signatures: SignaturesQueueProcessor,
    private readonly builds: BuildsQueueProcessor,
    private readonly config: AppConfig,
    private readonly jobs: JobQueueService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const processors = [this.intake, this.maintenance, this.sla, this.notifications, this.signatures, this.builds];
    assertEveryJobHandled(processors.flatMap((p) => Object.keys(p.handlers())) as JobName[]);
    for (const processor of processors)
      logQueueErrors(processor.worker, this.logger, `worker ${processor.worker.name}`);
    // the scheduled build once ran for the default channel only; it now asks for a build of every channel
    await this.jobs.queue(QUEUE_OF_JOB[JobName.BuildDatabase]).removeJobScheduler('scheduled-build-default');
    await this.jobs
      .queue(QUEUE_OF_JOB[JobName.RequestScheduledBuilds])
      .upsertJobScheduler(
        'scheduled-builds',
        { every: this.config.builds.scheduledEveryMs },
        { name: JobName.RequestScheduledBuilds, data: {} },
      );
    for (const schedule of SCHEDULES) {
      await this.jobs
        .queue(QUEUE_OF_JOB[schedule.job])
        .upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.job, data: {} });
    }
    // whatever was committed while no worker ran
    await this.jobs.relayOutbox();
    this.logger.log('worker started');
  }
}
