export * from './queue-order';
export * from './review.module';
export * from './review.repository';
export * from './review.service';
export * from './sla-timers';
