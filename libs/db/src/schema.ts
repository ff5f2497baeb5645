import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The table types. Kept beside the migrations that create them; a migration that changes a table
 * changes this file in the same commit.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export type Role = 'customer' | 'analyst' | 'release' | 'admin';
export type ContractTier = 'standard' | 'msa_start';
export type CaseKind = 'false_positive' | 'false_negative';
export type CaseStatus =
  | 'received'
  | 'rejected'
  | 'queued'
  | 'in_review'
  | 'awaiting_customer'
  | 'confirmed'
  | 'not_reproduced'
  | 'declined'
  | 'fix_scheduled'
  | 'fixed'
  | 'closed';

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  timezone: string;
  country: string;
  created_at: CreatedAt;
  working_days: ColumnType<number[], number[] | undefined, number[]>;
  work_start: Generated<string>;
  work_end: Generated<string>;
}

export interface ContractsTable {
  id: Generated<string>;
  organization_id: string;
  tier: ContractTier;
  starts_on: ColumnType<string, string, string>;
  ends_on: ColumnType<string, string, string>;
  premium_total: number;
  premium_used: Generated<number>;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  role: Role;
  organization_id: string | null;
  key_hash: string;
  key_prefix: string;
  created_at: CreatedAt;
  revoked_at: Timestamp | null;
  /** Who made the key and who revoked it: an actor id (a key's or a person's), and a person's display name then. */
  created_by: string | null;
  created_by_name: string | null;
  revoked_by: string | null;
  revoked_by_name: string | null;
  /** Moved at most once a minute by the requests made with the key. */
  last_used_at: Timestamp | null;
}

export interface DatabaseReleasesTable {
  id: Generated<string>;
  channel: string;
  version: number;
  released_at: Timestamp;
  published: boolean;
  source: 'baseline' | 'build';
  created_at: CreatedAt;
}

export interface CasesTable {
  id: Generated<string>;
  reference: string;
  organization_id: string;
  contract_id: string;
  tier: ContractTier;
  kind: CaseKind;
  severity: number;
  premium: boolean;
  status: CaseStatus;
  product: string;
  product_version: string;
  database_channel: string;
  database_version: number;
  detection_name: string | null;
  description: string;
  submitted_by: string;
  response_due_at: Timestamp | null;
  intake_completed_at: Timestamp | null;
  fixed_in_database_version: number | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  assigned_to: string | null;
  claimed_at: Timestamp | null;
  last_analyst_activity_at: Timestamp | null;
  first_response_at: Timestamp | null;
  sla_paused_at: Timestamp | null;
  sla_warning_at: Timestamp | null;
  sla_warned_at: Timestamp | null;
  sla_breached_at: Timestamp | null;
  verdict: Verdict | null;
  verdict_note: string | null;
  verdict_at: Timestamp | null;
  /** The first open case with the same sample; set on the cases that joined it, null on that first case. */
  group_id: string | null;
  /** the version that fixes the case once it is published (status fix_scheduled) */
  scheduled_fix_version: number | null;
}

export type Verdict = 'confirmed' | 'not_reproduced' | 'declined';

export interface WebhooksTable {
  id: Generated<string>;
  organization_id: string;
  url: string;
  secret: string;
  created_by: string;
  created_at: CreatedAt;
  disabled_at: Timestamp | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  case_id: string | null;
  event_type: string;
  payload: Json<Record<string, unknown>>;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  last_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  last_result: 'delivered' | 'receiver_error' | 'unreachable' | 'refused_destination' | 'webhook_disabled' | null;
  /** The lease of an attempt in flight. */
  sending_until: Timestamp | null;
}

export interface SamplesTable {
  sha256: string;
  /** Null until the intake job (or a reply's digest job) has read the stored bytes: see 2026_12_04_0010. */
  sha1: string | null;
  md5: string | null;
  size: ColumnType<string, number | string, never>;
  type: string;
  storage_key: string;
  created_at: CreatedAt;
}

export interface SampleObjectClaimsTable {
  id: Generated<string>;
  sha256: string;
  purpose: 'upload' | 'delete';
  /** Renewed by an upload claim's holder while it works. */
  claimed_at: Timestamp;
  /** The process holding an upload claim, `<host>-<pid>-<run>`; null for deletions and older claims. */
  holder: string | null;
}

/** A sample object whose upload has begun and that no samples row records yet: the orphan sweeper's candidates. */
export interface SampleObjectUploadsTable {
  sha256: string;
  /** When the latest upload of the object began. */
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** An object written under a staging key while a sample arrives; removed by its request, or by the orphan sweeper. */
export interface StagingObjectsTable {
  key: string;
  /** The process writing it, `<host>-<pid>-<run>`. */
  holder: string;
  touched_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CaseSamplesTable {
  case_id: string;
  sha256: string;
  file_name: string;
  archive_path: string | null;
  position: number;
  created_at: CreatedAt;
}

export interface CaseEventsTable {
  id: Generated<string>;
  case_id: string;
  type: string;
  from_status: CaseStatus | null;
  to_status: CaseStatus | null;
  /** the API key that acted, for actions made with one */
  actor_key_id: string | null;
  /** the person who acted, for actions made in a session, and their display name then */
  actor_user_id: Generated<string | null>;
  actor_name: Generated<string | null>;
  actor_role: Role | 'system';
  data: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface IdempotencyKeysTable {
  organization_id: string;
  key: string;
  fingerprint: string;
  case_id: string;
  response_status: number;
  response_body: Json<unknown>;
  created_at: CreatedAt;
}

export interface OutboxTable {
  id: Generated<string>;
  queue: string;
  job_name: string;
  job_id: string;
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  dispatched_at: Timestamp | null;
  run_at: Timestamp | null;
  /** BullMQ options of the relayed job: deduplication, priority */
  options: Json<Record<string, unknown>> | null;
  /** a relay is adding the row to its queue until then; once past, another relay may take it over */
  claimed_until: Timestamp | null;
}

export interface RuleRevisionsTable {
  /** SHA-256 of the source */
  sha256: string;
  name: string;
  source: string;
  /** part of the base ruleset: the content of a channel that has none of its own */
  base: Generated<boolean>;
  case_id: string | null;
  change_id: string | null;
  /** the YARA namespace of an imported pack file (whose whole text is the revision); null: the default namespace */
  namespace: ColumnType<string | null, string | null | undefined, string | null>;
  provenance: ColumnType<RuleProvenance | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

/** Where an imported rule came from: its pack, the file within it, and the import. */
export interface RuleProvenance {
  pack: string;
  file: string;
  importId: string;
}

export type RulePackImportStatus = 'analysing' | 'analysed' | 'failed' | 'accepted';

/** An uploaded rule pack, its files and their quality report (rule_pack_files), until accepted as a change. */
export interface RulePackImportsTable {
  id: Generated<string>;
  channel: string;
  pack_name: string;
  file_name: string;
  format: 'yara' | 'zip' | 'tar.gz';
  /** bigint: arrives as a string */
  bytes: ColumnType<string, number, number>;
  sha256: string;
  skipped: Json<Array<{ path: string; reason: string }>>;
  status: RulePackImportStatus;
  progress: Json<Record<string, unknown>> | null;
  summary: Json<Record<string, unknown>> | null;
  error: string | null;
  /** the actor who uploaded it: an API key or a person */
  created_by: string;
  change_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface RulePackFilesTable {
  import_id: string;
  position: number;
  path: string;
  namespace: string;
  source: string;
  report: Json<Record<string, unknown>> | null;
  accepted_source: string | null;
}

export interface AllowlistEntry {
  sha256: string;
  /** ISO time after which the entry no longer applies; null: never */
  expiresAt: string | null;
  changeId: string | null;
  caseId: string | null;
  reason: string | null;
}

export interface SignatureContentsTable {
  channel: string;
  version: number;
  parent_version: number | null;
  /** rule revisions (SHA-256 of their source), in the order of their names */
  rules: ColumnType<string[], string[], string[]>;
  allowlist: Json<AllowlistEntry[]>;
  /** SHA-256 of the revision hashes joined by line breaks: equal for equal rulesets */
  rules_sha256: string;
  created_at: CreatedAt;
}

/** `import_rules`: a rule pack's files as accepted from an import (rule_pack_imports), with no case of its own. */
export type SignatureChangeType = 'add_detection' | 'suppress_detection' | 'import_rules';
export type SignatureChangeStatus =
  'validating' | 'validation_failed' | 'validated' | 'approved' | 'rejected' | 'built';

export interface SignatureChangesTable {
  id: Generated<string>;
  /** null for an import (`rule_pack_import_id`) */
  case_id: string | null;
  rule_pack_import_id: ColumnType<string | null, string | null | undefined, string | null>;
  type: SignatureChangeType;
  rule_name: string | null;
  rule_source: string | null;
  sha256: string | null;
  target_rule: string | null;
  reason: string | null;
  author: string;
  status: SignatureChangeStatus;
  report: Json<Record<string, unknown>> | null;
  progress: Json<Record<string, unknown>> | null;
  validated_at: Timestamp | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
  approval_seq: string | null;
  decision_note: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  build_version: number | null;
  channel: string;
  expires_at: Timestamp | null;
}

export type BuildKind = 'expedited' | 'scheduled';
export type BuildStatus = 'building' | 'failed' | 'stored' | 'published';

export interface DatabaseBuildsTable {
  id: Generated<string>;
  channel: string;
  version: number;
  parent_version: number | null;
  kind: BuildKind;
  status: BuildStatus;
  change_ids: ColumnType<string[], string[], string[]>;
  stage: Generated<string>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  failure: Json<Record<string, unknown>> | null;
  manifest: Json<Record<string, unknown>> | null;
  manifest_sha256: string | null;
  signature: string | null;
  artifact_prefix: string | null;
  started_at: CreatedAt;
  finished_at: Timestamp | null;
  published_at: Timestamp | null;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  attempts: Generated<number>;
  report: Json<Record<string, unknown>> | null;
}

export type DatabaseBuild = Selectable<DatabaseBuildsTable>;

export interface RegressionCorpusFilesTable {
  sha256: string;
  name: string;
  size: ColumnType<string, number | string, never>;
  storage_key: string;
  added_by: string | null;
  created_at: CreatedAt;
}

export interface CleanCorpusFilesTable {
  sha256: string;
  name: string;
  size: ColumnType<string, number | string, never>;
  storage_key: string;
  added_by: string | null;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  /** lower case: unique whatever the case it is typed in */
  email: string;
  display_name: string;
  role: Role;
  organization_id: string | null;
  organization_admin: Generated<boolean>;
  /** Argon2id (PHC string) */
  password_hash: string;
  /** base32 TOTP secret once the second factor is on, and the one being enrolled */
  totp_secret: string | null;
  totp_pending_secret: string | null;
  /** the last time step accepted: a code is never accepted twice */
  totp_last_step: ColumnType<string | null, number | string | null, number | string | null>;
  disabled_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface InvitationsTable {
  id: Generated<string>;
  token_hash: string;
  email: string;
  display_name: string;
  role: Role;
  organization_id: string | null;
  organization_admin: boolean;
  /** the actor (API key or person) who invited */
  invited_by: string;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  user_id: string | null;
  created_at: CreatedAt;
}

export interface PasswordResetsTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: Generated<string>;
  /** SHA-256 of the cookie's value: the value itself is never stored */
  token_hash: string;
  user_id: string;
  csrf_token: string;
  /** a staff member without a second factor where one is required: the session serves only to enrol one */
  totp_enrolment_only: boolean;
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  idle_expires_at: Timestamp;
  absolute_expires_at: Timestamp;
  ended_at: Timestamp | null;
  address: string | null;
  user_agent: string | null;
}

export interface SignInFailuresTable {
  id: Generated<string>;
  scope: 'account' | 'address';
  subject: string;
  failed_at: Timestamp;
}

export type User = Selectable<UsersTable>;
export type Invitation = Selectable<InvitationsTable>;
export type Session = Selectable<SessionsTable>;

export type RuleRevision = Selectable<RuleRevisionsTable>;
export type SignatureChange = Selectable<SignatureChangesTable>;
export type RulePackImport = Selectable<RulePackImportsTable>;
export type RulePackFile = Selectable<RulePackFilesTable>;

/** A rate limit's counter for one bucket and window (UNLOGGED: lost in a crash, which only restarts windows). */
export interface RateLimitCountersTable {
  bucket: string;
  hits: number;
  resets_at: Date;
}

/** YARA-X's compiled form of a ruleset, stored once per ruleset content and engine version. */
export interface CompiledRulesetsTable {
  rules_hash: string;
  /** the YARA-X binding's version: compiled rules open only in the version that saved them */
  engine: string;
  /** of the serialised rules, stored in the object store under it */
  sha256: string;
  /** bigint: arrives as a string */
  size: ColumnType<string, number, number>;
  rule_count: number;
  rule_names: Json<string[]>;
  /** the compile's warnings, as diagnostics */
  warnings: Json<unknown[]>;
  compile_millis: number;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
}

/** What a ruleset found in a file (before any allow-list): the same for the same rules and bytes. */
export interface ScanVerdictsTable {
  rules_hash: string;
  sha256: string;
  /** the SHA-256 of the scan's external variables, empty when it had none */
  context: string;
  rules: Json<string[]>;
  offsets: Json<Record<string, number[]>>;
  millis: number;
  cpu_millis: number;
  created_at: Generated<Date>;
}

export interface DB {
  compiled_rulesets: CompiledRulesetsTable;
  scan_verdicts: ScanVerdictsTable;
  organizations: OrganizationsTable;
  contracts: ContractsTable;
  api_keys: ApiKeysTable;
  database_releases: DatabaseReleasesTable;
  cases: CasesTable;
  samples: SamplesTable;
  sample_object_claims: SampleObjectClaimsTable;
  sample_object_uploads: SampleObjectUploadsTable;
  staging_objects: StagingObjectsTable;
  case_samples: CaseSamplesTable;
  case_events: CaseEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  rule_revisions: RuleRevisionsTable;
  rule_pack_imports: RulePackImportsTable;
  rule_pack_files: RulePackFilesTable;
  signature_contents: SignatureContentsTable;
  regression_corpus_files: RegressionCorpusFilesTable;
  signature_changes: SignatureChangesTable;
  clean_corpus_files: CleanCorpusFilesTable;
  database_builds: DatabaseBuildsTable;
  rate_limit_counters: RateLimitCountersTable;
  users: UsersTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type Contract = Selectable<ContractsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type DatabaseRelease = Selectable<DatabaseReleasesTable>;
export type Case = Selectable<CasesTable>;
export type NewCase = Insertable<CasesTable>;
export type Sample = Selectable<SamplesTable>;
export type CaseEvent = Selectable<CaseEventsTable>;
