import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { CasesModule } from '@sigdesk/cases';
import { IntakeModule } from '@sigdesk/intake';
import { NotificationsModule } from '@sigdesk/notifications';
import { ReviewModule } from '@sigdesk/review';
import { SignaturesModule } from '@sigdesk/signatures';
import { BuildsModule } from '@sigdesk/builds';
import { OpsModule } from '@sigdesk/ops';
import { assertEveryJobHandled, JobName, JobQueueService, logQueueErrors } from '@sigdesk/queues';
import {
  BuildsQueueProcessor,
  ImportsQueueProcessor,
  IntakeQueueProcessor,
  MaintenanceQueueProcessor,
  NotificationsQueueProcessor,
  SignaturesQueueProcessor,
  SlaQueueProcessor,
} from './queue.processors';
import { QueueReconciler } from './queue-reconciler';

/** The queue consumers. Only processes started as workers import this module. */
@Module({
  imports: [CasesModule, IntakeModule, ReviewModule, NotificationsModule, SignaturesModule, BuildsModule, OpsModule],
  providers: [
    QueueReconciler,
    IntakeQueueProcessor,
    MaintenanceQueueProcessor,
    SlaQueueProcessor,
    NotificationsQueueProcessor,
    SignaturesQueueProcessor,
    BuildsQueueProcessor,
    ImportsQueueProcessor,
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
    private readonly imports: ImportsQueueProcessor,
    private readonly jobs: JobQueueService,
    private readonly reconciler: QueueReconciler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const processors = [
      this.intake,
      this.maintenance,
      this.sla,
      this.notifications,
      this.signatures,
      this.builds,
      this.imports,
    ];
    assertEveryJobHandled(processors.flatMap((p) => Object.keys(p.handlers())) as JobName[]);
    for (const processor of processors)
      logQueueErrors(processor.worker, this.logger, `worker ${processor.worker.name}`);
    try {
      // the scheduled build once ran for the default channel only; it now asks for a build of every channel
      await this.jobs.removeScheduler('scheduled-build-default', JobName.BuildDatabase);
      // the periodic jobs, and whatever was committed or lost while no worker ran
      await this.reconciler.reconcile();
    } catch (error) {
      // the queues are not answering: the worker starts all the same, and reconciles once they do
      this.logger.warn({ err: error }, 'the queues did not answer at start; reconciling when they do');
    }
    this.reconciler.start();
    this.logger.log('worker started');
  }
}
