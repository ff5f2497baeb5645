export * from './bootstrap';
export * from './core.module';
export * from './main-entry';
