export * from './case-status';
export * from './views/analyst-case.view';
export * from './views/customer-case.view';
export * from './cases.module';
export * from './cases.repository';
export * from './cases.service';
export * from './response-clock';
export * from './case-transitions';
