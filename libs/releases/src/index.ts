export * from './currency';
export * from './releases.module';
export * from './releases.service';
export * from './releases.repository';
