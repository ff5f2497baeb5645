export * from './dashboard.module';
export * from './dashboard.service';
