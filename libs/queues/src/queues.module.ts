import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { QueueName } from './jobs';
import { JobQueueService } from './job-queue.service';
import { OutboxRepository } from './outbox.repository';
import { QueueBackend } from './queue-backend';
import { UnitOfWork } from './unit-of-work';

/** The queues, on the backend that the process opened (see `openQueueBackend`). */
@Global()
@Module({})
export class QueuesModule {
  static forRoot(backend: QueueBackend): DynamicModule {
    return {
      module: QueuesModule,
      imports: [
        BullModule.forRoot(backend.options),
        BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
      ],
      providers: [{ provide: QueueBackend, useValue: backend }, OutboxRepository, JobQueueService, UnitOfWork],
      exports: [BullModule, QueueBackend, OutboxRepository, JobQueueService, UnitOfWork],
    };
  }
}
