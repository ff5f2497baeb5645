export * from './api-client';
export * from './test-environment';
export * from './test-dns-server';
export * from './web-app-build';
export * from './browser';
export * from './webhook-receivers';
export * from './migration-database';
