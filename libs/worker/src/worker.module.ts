import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { IntakeModule } from '@sigdesk/intake';
import { OpsModule } from '@sigdesk/ops';
import { assertEveryJobHandled, JobName, JobQueueService, QueueName } from '@sigdesk/queues';
import { IntakeQueueProcessor, MaintenanceQueueProcessor } from './queue.processors';

/** Periodic work; each scheduler id is persisted in Redis: never rename one. */
const SCHEDULES: Array<{ id: string; job: JobName; everyMs: number }> = [
  { id: 'relay-outbox', job: JobName.RelayOutbox, everyMs: 15_000 },
  { id: 'sweep-orphan-samples', job: JobName.SweepOrphanSamples, everyMs: 30 * 60_000 },
  { id: 'prune-idempotency-keys', job: JobName.PruneIdempotencyKeys, everyMs: 60 * 60_000 },
];

/** The queue consumers. Only processes started as workers import this module. */
@Module({
  imports: [IntakeModule, OpsModule],
  providers: [IntakeQueueProcessor, MaintenanceQueueProcessor],
})
export class WorkerModule implements OnApplicationBootstrap {
  private readonly logger = new Logger(WorkerModule.name);

  constructor(
    private readonly intake: IntakeQueueProcessor,
    private readonly maintenance: MaintenanceQueueProcessor,
    private readonly jobs: JobQueueService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    assertEveryJobHandled([
      ...Object.keys(this.intake.handlers()),
      ...Object.keys(this.maintenance.handlers()),
    ] as JobName[]);
    const maintenance = this.jobs.queue(QueueName.Maintenance);
    for (const schedule of SCHEDULES) {
      await maintenance.upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.job, data: {} });
    }
    // whatever was committed while no worker ran
    await this.jobs.relayOutbox();
    this.logger.log('worker started');
  }
}
