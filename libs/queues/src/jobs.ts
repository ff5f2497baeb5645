/**
 * Queue and job names. Their values are persisted in Redis and in the outbox table: never rename one.
 * Each job name is tied to its payload type, so a producer cannot send the wrong data.
 */
export enum QueueName {
  Intake = 'intake',
  Maintenance = 'maintenance',
  Sla = 'sla',
  Notifications = 'notifications',
  Signatures = 'signatures',
  Builds = 'builds',
  /** rule pack analyses: long (a pack's clean-corpus pass), kept apart from the analysts' validations */
  Imports = 'imports',
}

export enum JobName {
  IntakeCase = 'intake.case',
  /** the SHA-1 and MD5 of a sample that came after its case's intake (with a reply) */
  DigestSample = 'intake.digest-sample',
  RelayOutbox = 'maintenance.relay-outbox',
  SweepOrphanSamples = 'maintenance.sweep-orphan-samples',
  PruneIdempotencyKeys = 'maintenance.prune-idempotency-keys',
  ReleaseStaleClaims = 'maintenance.release-stale-claims',
  SweepRulePackImports = 'maintenance.sweep-rule-pack-imports',
  SweepCompiledRulesets = 'maintenance.sweep-compiled-rulesets',
  PruneScanVerdicts = 'maintenance.prune-scan-verdicts',
  CheckResponseClock = 'sla.check-response-clock',
  SweepResponseClocks = 'sla.sweep-response-clocks',
  DeliverWebhook = 'notifications.deliver-webhook',
  ValidateSignatureChange = 'signatures.validate-change',
  BuildDatabase = 'builds.build-database',
  SweepUnbuiltChanges = 'builds.sweep-unbuilt-changes',
  RequestScheduledBuilds = 'builds.request-scheduled-builds',
  AnalyseRulePack = 'imports.analyse-rule-pack',
}

export interface JobPayloads {
  [JobName.IntakeCase]: { caseId: string };
  [JobName.DigestSample]: { sha256: string };
  [JobName.RelayOutbox]: Record<string, never>;
  [JobName.SweepOrphanSamples]: Record<string, never>;
  [JobName.PruneIdempotencyKeys]: Record<string, never>;
  [JobName.ReleaseStaleClaims]: Record<string, never>;
  [JobName.SweepRulePackImports]: Record<string, never>;
  [JobName.SweepCompiledRulesets]: Record<string, never>;
  [JobName.PruneScanVerdicts]: Record<string, never>;
  /** Re-reads the case: the payload only says which case and which threshold this timer was set for. */
  [JobName.CheckResponseClock]: { caseId: string; kind: 'warning' | 'breach' };
  [JobName.SweepResponseClocks]: Record<string, never>;
  [JobName.DeliverWebhook]: { deliveryId: string };
  [JobName.ValidateSignatureChange]: { changeId: string };
  [JobName.BuildDatabase]: { channel: string; kind: 'expedited' | 'scheduled' };
  [JobName.SweepUnbuiltChanges]: Record<string, never>;
  /** Asks for a scheduled build of every channel with approved changes not built yet. */
  [JobName.RequestScheduledBuilds]: Record<string, never>;
  [JobName.AnalyseRulePack]: { importId: string };
}

export type JobOf<N extends JobName> = JobPayloads[N];

interface QueueOfJob {
  [JobName.IntakeCase]: QueueName.Intake;
  [JobName.DigestSample]: QueueName.Intake;
  [JobName.RelayOutbox]: QueueName.Maintenance;
  [JobName.SweepOrphanSamples]: QueueName.Maintenance;
  [JobName.PruneIdempotencyKeys]: QueueName.Maintenance;
  [JobName.ReleaseStaleClaims]: QueueName.Maintenance;
  [JobName.SweepRulePackImports]: QueueName.Maintenance;
  [JobName.SweepCompiledRulesets]: QueueName.Maintenance;
  [JobName.PruneScanVerdicts]: QueueName.Maintenance;
  [JobName.CheckResponseClock]: QueueName.Sla;
  [JobName.SweepResponseClocks]: QueueName.Sla;
  [JobName.DeliverWebhook]: QueueName.Notifications;
  [JobName.ValidateSignatureChange]: QueueName.Signatures;
  [JobName.BuildDatabase]: QueueName.Builds;
  [JobName.SweepUnbuiltChanges]: QueueName.Builds;
  [JobName.RequestScheduledBuilds]: QueueName.Builds;
  [JobName.AnalyseRulePack]: QueueName.Imports;
}

/** The jobs of a queue. */
export type JobsOf<Q extends QueueName> = { [N in JobName]: QueueOfJob[N] extends Q ? N : never }[JobName];

export const QUEUE_OF_JOB: QueueOfJob = {
  [JobName.IntakeCase]: QueueName.Intake,
  [JobName.DigestSample]: QueueName.Intake,
  [JobName.RelayOutbox]: QueueName.Maintenance,
  [JobName.SweepOrphanSamples]: QueueName.Maintenance,
  [JobName.PruneIdempotencyKeys]: QueueName.Maintenance,
  [JobName.ReleaseStaleClaims]: QueueName.Maintenance,
  [JobName.SweepRulePackImports]: QueueName.Maintenance,
  [JobName.SweepCompiledRulesets]: QueueName.Maintenance,
  [JobName.PruneScanVerdicts]: QueueName.Maintenance,
  [JobName.CheckResponseClock]: QueueName.Sla,
  [JobName.SweepResponseClocks]: QueueName.Sla,
  [JobName.DeliverWebhook]: QueueName.Notifications,
  [JobName.ValidateSignatureChange]: QueueName.Signatures,
  [JobName.BuildDatabase]: QueueName.Builds,
  [JobName.SweepUnbuiltChanges]: QueueName.Builds,
  [JobName.RequestScheduledBuilds]: QueueName.Builds,
  [JobName.AnalyseRulePack]: QueueName.Imports,
};

/** Deterministic job ids (`<entity id>-<job name>`): a job enqueued twice exists once. */
export function jobIdFor(name: JobName, entityId: string): string {
  return `${entityId}-${name}`.replace(/:/g, '_');
}

/**
 * An expedited build request: delayed by the coalescing window and deduplicated for its length, so that
 * approvals arriving within a few seconds make one build; the highest priority of the queue.
 */
export function expeditedBuildJob(channel: string, windowMs: number) {
  return {
    name: JobName.BuildDatabase,
    payload: { channel, kind: 'expedited' as const },
    options: {
      deduplication: { id: `expedited-${channel}`, ttl: Math.max(windowMs, 1) },
      delay: windowMs,
      priority: 1,
    },
  };
}

/** A scheduled build of one channel: one waiting at a time per channel. */
export function scheduledBuildJob(channel: string) {
  return {
    name: JobName.BuildDatabase,
    payload: { channel, kind: 'scheduled' as const },
    options: { deduplication: { id: `scheduled-${channel}`, ttl: 60_000 }, priority: 5 },
  };
}
