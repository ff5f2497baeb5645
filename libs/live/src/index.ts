export * from './live-event';
export * from './live-events.listener';
export * from './live-streams';
export * from './live.module';
