export * from './accounts.module';
export * from './auth/api-key';
export * from './auth/api-key.guard';
export * from './auth/auth.decorators';
export * from './auth/principal';
export * from './contracts/contract-rules';
export * from './repositories/api-keys.repository';
export * from './repositories/organizations.repository';
