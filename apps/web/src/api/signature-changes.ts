import type { Diagnostic } from '../../../../libs/detection/src/diagnostic';
import type {
  CheckName,
  CheckResult,
  DiffEntry,
  Evidence,
  ProofReport,
} from '../../../../libs/signatures/src/proof/proof-report';
import { api, type ApiClient } from './client';

export type { CheckName, CheckResult, Diagnostic, DiffEntry, Evidence };
/** The validation's report: the proof's (libs/signatures/src/proof/proof-report.ts). */
export type ValidationReport = ProofReport;
import type { CaseKind, CaseStatus } from './portal';

/**
 * Signature changes as the API describes them (libs/signatures: `changeView`, the rule check's answer, the proof's
 * report): written by an analyst for a confirmed case, proven by a validation job, approved by another analyst.
 */

/** `POST /v1/signature-changes/check`: every reason a proposal of the rule would be refused, and warnings. */
export interface RuleCheckAnswer {
  ok: boolean;
  ruleName: string | null;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  checkedAgainst: { channel: string; databaseVersion: number | null };
  millis: number;
}

/** `import_rules`: an imported rule pack's files, with no case of its own */
export type ChangeType = 'add_detection' | 'suppress_detection' | 'import_rules';
export type ChangeStatus = 'validating' | 'validation_failed' | 'validated' | 'approved' | 'rejected' | 'built';

/** Where a running validation is: `stage`, and for the scans how many files of how many. */
export interface ValidationProgress {
  stage: string;
  files?: number;
  scanned?: number;
  rules?: number;
}

export interface SignatureChange {
  id: string;
  /** null for an import (`rulePackImportId`) */
  caseId: string | null;
  rulePackImportId: string | null;
  channel: string;
  type: ChangeType;
  ruleName: string | null;
  rule: string | null;
  sha256: string | null;
  targetRule: string | null;
  expiresAt: string | null;
  reason: string | null;
  author: string;
  status: ChangeStatus;
  progress: ValidationProgress | null;
  report: ValidationReport | null;
  validatedAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  decisionNote: string | null;
  createdAt: string;
}

/** `GET /v1/signature-changes/:id`: the change, its case, who wrote and decided it, the rule it replaces. */
export interface SignatureChangeDetail extends SignatureChange {
  authorName: string | null;
  approvedByName: string | null;
  case: { id: string; reference: string; kind: CaseKind; status: CaseStatus } | null;
  rulePack: { id: string; packName: string } | null;
  replacedRule: { name: string; source: string; databaseVersion: number | null } | null;
}

/** An item of `GET /v1/signature-changes/awaiting-approval`. */
export interface AwaitingChange extends SignatureChange {
  authorName: string | null;
  yours: boolean;
  /** null for an import: `packName` says which pack */
  case: {
    id: string;
    reference: string;
    kind: CaseKind;
    tier: 'msa_start' | 'standard';
    severity: number;
    premium: boolean;
  } | null;
  packName: string | null;
}

export interface SampleStrings {
  sha256: string;
  size: number;
  window: { offset: number; length: number };
  minLength: number;
  strings: Array<{ offset: number; encoding: 'ascii' | 'utf16le'; byteLength: number; text: string }>;
  nextOffset: number | null;
}

export interface SampleBytes {
  sha256: string;
  size: number;
  offset: number;
  length: number;
  hex: string;
}

export interface RuleOfDatabase {
  channel: string;
  databaseVersion: number | null;
  name: string;
  source: string;
}

export interface NewChange {
  type: ChangeType;
  rule?: string;
  sha256?: string;
  targetRule?: string;
  reason?: string;
}

export const changeQueryKey = (id: string) => ['signature-changes', 'detail', id] as const;
export const awaitingApprovalQueryKey = ['signature-changes', 'awaiting-approval'] as const;

const path = (value: string) => encodeURIComponent(value);

export function checkRule(
  input: { caseId: string; rule: string; targetRule?: string },
  signal?: AbortSignal,
  client: ApiClient = api,
): Promise<RuleCheckAnswer> {
  return client.post('/v1/signature-changes/check', input, { signal });
}

export function proposeChange(caseId: string, change: NewChange, client: ApiClient = api): Promise<SignatureChange> {
  return client.post(`/v1/cases/${path(caseId)}/signature-changes`, change);
}

export function fetchChange(id: string, client: ApiClient = api): Promise<SignatureChangeDetail> {
  return client.get(`/v1/signature-changes/${path(id)}`);
}

export function fetchAwaitingApproval(client: ApiClient = api): Promise<{ items: AwaitingChange[] }> {
  return client.get('/v1/signature-changes/awaiting-approval?limit=50');
}

export function approveChange(id: string, note: string, client: ApiClient = api): Promise<SignatureChange> {
  return client.post(`/v1/signature-changes/${path(id)}/approve`, note ? { note } : {});
}

export function rejectChange(id: string, note: string, client: ApiClient = api): Promise<SignatureChange> {
  return client.post(`/v1/signature-changes/${path(id)}/reject`, { note });
}

export function fetchRule(name: string, channel: string, client: ApiClient = api): Promise<RuleOfDatabase> {
  return client.get(`/v1/signature-rules/${path(name)}?channel=${path(channel)}`);
}

export function fetchSampleStrings(
  caseId: string,
  sha256: string,
  offset: number,
  client: ApiClient = api,
): Promise<SampleStrings> {
  return client.get(`/v1/cases/${path(caseId)}/samples/${path(sha256)}/strings?offset=${offset}&length=262144`);
}

export function fetchSampleBytes(
  caseId: string,
  sha256: string,
  offset: number,
  length: number,
  client: ApiClient = api,
): Promise<SampleBytes> {
  return client.get(`/v1/cases/${path(caseId)}/samples/${path(sha256)}/bytes?offset=${offset}&length=${length}`);
}
