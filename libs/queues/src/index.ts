export * from './bounded-wait';
export * from './job-handlers';
export * from './job-queue.service';
export * from './jobs';
export * from './outbox.repository';
export * from './queue-backend';
export * from './queues.module';
export * from './unit-of-work';
