export * from './queue.processors';
export * from './worker.module';
