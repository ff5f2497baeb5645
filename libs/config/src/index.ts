export * from './app-config';
export * from './config.schema';
export * from './limits';
