export * from './bootstrap';
export * from './core.module';
export * from './main-entry';
export * from './services';
export * from './startup-summary';
