export * from './database';
export * from './database-probe';
export * from './database.module';
export * from './migrator';
export * from './schema';
export { migrations } from './migrations';
