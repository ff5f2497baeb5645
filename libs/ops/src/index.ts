export * from './health.controller';
export * from './metrics.service';
export * from './ops.module';
