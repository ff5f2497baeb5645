/**
 * Queue and job names. Their values are persisted in Redis and in the outbox table: never rename one.
 * Each job name is tied to its payload type, so a producer cannot send the wrong data.
 */
export enum QueueName {
  Intake = 'intake',
  Maintenance = 'maintenance',
}

export enum JobName {
  IntakeCase = 'intake.case',
  RelayOutbox = 'maintenance.relay-outbox',
  SweepOrphanSamples = 'maintenance.sweep-orphan-samples',
  PruneIdempotencyKeys = 'maintenance.prune-idempotency-keys',
}

export interface JobPayloads {
  [JobName.IntakeCase]: { caseId: string };
  [JobName.RelayOutbox]: Record<string, never>;
  [JobName.SweepOrphanSamples]: Record<string, never>;
  [JobName.PruneIdempotencyKeys]: Record<string, never>;
}

export type JobOf<N extends JobName> = JobPayloads[N];

interface QueueOfJob {
  [JobName.IntakeCase]: QueueName.Intake;
  [JobName.RelayOutbox]: QueueName.Maintenance;
  [JobName.SweepOrphanSamples]: QueueName.Maintenance;
  [JobName.PruneIdempotencyKeys]: QueueName.Maintenance;
}

/** The jobs of a queue. */
export type JobsOf<Q extends QueueName> = { [N in JobName]: QueueOfJob[N] extends Q ? N : never }[JobName];

export const QUEUE_OF_JOB: QueueOfJob = {
  [JobName.IntakeCase]: QueueName.Intake,
  [JobName.RelayOutbox]: QueueName.Maintenance,
  [JobName.SweepOrphanSamples]: QueueName.Maintenance,
  [JobName.PruneIdempotencyKeys]: QueueName.Maintenance,
};

/** Deterministic job ids (`<entity id>-<job name>`): a job enqueued twice exists once. */
export function jobIdFor(name: JobName, entityId: string): string {
  return `${entityId}-${name}`.replace(/:/g, '_');
}
