export * from './change-content';
export * from './change-validator';
export * from './signature-changes.service';
export * from './signature-engine';
export * from './signatures-bootstrap';
export * from './signatures.module';
export * from './signatures.repository';
