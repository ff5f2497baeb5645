export * from './database';
export * from './database-probe';
export * from './embedded/embedded-postgres';
export * from './database.module';
export * from './migrator';
export * from './schema';
export { migrations } from './migrations';
