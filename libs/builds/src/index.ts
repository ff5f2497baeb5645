export * from './artifact';
export * from './builds.module';
export * from './builds.repository';
export * from './builds.service';
export * from './database-builder';
export * from './signing-keys';
