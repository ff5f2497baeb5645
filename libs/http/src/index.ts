export * from './app-error';
export * from './cursor';
export * from './http-error.filter';
export * from './input';
export * from './validation';
export * from './unavailable-dependency';
