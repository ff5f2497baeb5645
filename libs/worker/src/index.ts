export * from './queue-reconciler';
export * from './queue.processors';
export * from './worker.module';
