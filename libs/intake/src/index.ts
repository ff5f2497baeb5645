export * from './archive/archive-error';
export * from './files/file-type';
export * from './files/spool';
export * from './intake.module';
export * from './intake.processor';
export * from './maintenance/orphan-sweeper';
export * from './submissions/idempotency.repository';
export * from './submissions/submissions.service';
