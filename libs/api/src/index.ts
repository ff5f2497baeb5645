export * from './api.module';
export * from './configure-http';
export * from './http-limits';
export * from './web-app';
