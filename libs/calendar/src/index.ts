export * from './business-calendar';
export * from './response-targets';
