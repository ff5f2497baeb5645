export * from './api.module';
export * from './configure-http';
export * from './web-app';
