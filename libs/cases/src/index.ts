export * from './case-status';
export * from './case.view';
export * from './cases.module';
export * from './cases.repository';
export * from './cases.service';
export * from './response-clock';
export * from './case-transitions';
