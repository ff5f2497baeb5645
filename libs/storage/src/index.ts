export * from './embedded-s3';
export * from './object-cache';
export * from './object-store';
export * from './s3-client.factory';
export * from './s3-server';
export * from './s3-signature';
export * from './storage.module';
export * from './storage-keys';
