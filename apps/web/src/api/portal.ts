import type {
  CreatedOrganizationApiKey,
  OrganizationApiKey,
} from '../../../../libs/accounts/src/api-keys/organization-api-key.schema';
import type { CurrentOrganization } from '../../../../libs/accounts/src/organizations/current-organization.schema';
import type { CaseStatusName } from '../../../../libs/review/src/review.schemas';
import { api, type ApiClient } from './client';

export type { CreatedOrganizationApiKey, CurrentOrganization, OrganizationApiKey };

/** `GET /v1/databases/current`: the newest published release, the one before it and its grace period. */
export interface CurrentDatabase {
  channel: string;
  version: number;
  releasedAt: string;
  previous: { version: number; releasedAt: string } | null;
  graceMinutes: number;
}

export type CaseKind = 'false_positive' | 'false_negative';

export const CASE_STATUSES = [
  'received',
  'rejected',
  'queued',
  'in_review',
  'awaiting_customer',
  'confirmed',
  'not_reproduced',
  'declined',
  'fix_scheduled',
  'fixed',
  'closed',
] as const satisfies readonly CaseStatusName[];
export type CaseStatus = (typeof CASE_STATUSES)[number];

// the list holds every status the API names (the compiler checks it against the API's schema)
const everyStatusListed: Exclude<CaseStatusName, CaseStatus> extends never ? true : never = true;
void everyStatusListed;

/** The response clock of a case as the API reports it (`responseClock`). */
export interface ResponseClockView {
  state: 'running' | 'paused' | 'met' | 'breached' | 'none';
  /** Working seconds left to the qualified response while running or paused; negative once breached. */
  remainingWorkingSeconds: number | null;
  /** Seconds from the read during which the time left keeps counting down (to the end of the working hours). */
  countingForSeconds?: number;
}

export interface CaseSample {
  sha256: string;
  size: number;
  type: string;
  fileName: string;
  archivePath: string | null;
}

export interface TimelineEvent {
  type: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  by: { role: string };
  at: string;
  data?: {
    message?: string;
    samplesAdded?: string[];
    fixedInDatabaseVersion?: number;
    scheduledDatabaseVersion?: number;
    databaseVersion?: number;
    verdict?: string;
  };
}

/** A case as its customer sees it (`GET /v1/submissions[/:id]`; libs/cases/src/views/customer-case.view.ts). */
export interface CustomerCase {
  id: string;
  reference: string;
  status: CaseStatus;
  kind: CaseKind;
  severity: number;
  premium: boolean;
  product: string;
  productVersion: string;
  database: { channel: string; version: number };
  detectionName: string | null;
  description: string;
  responseDueAt: string | null;
  responseClock?: ResponseClockView;
  fixedInDatabaseVersion: number | null;
  fixScheduledInDatabaseVersion: number | null;
  createdAt: string;
  updatedAt: string;
  samples?: CaseSample[];
  timeline?: TimelineEvent[];
}

export interface CasePage {
  items: CustomerCase[];
  nextCursor: string | null;
}

export interface CaseFilter {
  status?: CaseStatus;
  kind?: CaseKind;
  q?: string;
}

export const organizationQueryKey = ['organization', 'current'] as const;
export const databaseQueryKey = ['database', 'current'] as const;

export function fetchCurrentOrganization(client: ApiClient = api): Promise<CurrentOrganization> {
  return client.get('/v1/organizations/current');
}

export function fetchCurrentDatabase(client: ApiClient = api): Promise<CurrentDatabase> {
  return client.get('/v1/databases/current');
}

export function fetchCases(filter: CaseFilter, cursor: string | undefined, client: ApiClient = api) {
  const query = new URLSearchParams();
  if (filter.status) query.set('status', filter.status);
  if (filter.kind) query.set('kind', filter.kind);
  if (filter.q) query.set('q', filter.q);
  if (cursor) query.set('cursor', cursor);
  query.set('limit', '25');
  return client.get<CasePage>(`/v1/submissions?${query.toString()}`);
}

export function fetchCase(id: string, client: ApiClient = api): Promise<CustomerCase> {
  return client.get(`/v1/submissions/${encodeURIComponent(id)}`);
}

export const caseQueryKey = (id: string) => ['cases', 'detail', id] as const;

/** What `POST /v1/submissions/:id/replies` answers. */
export interface ReplyAnswer {
  caseId: string;
  samplesAdded: number;
}

/**
 * The customer's answer to an analyst's question: multipart, with the files as `sample` parts (the message first,
 * so that the API refuses a reply it would refuse before reading any file).
 */
export function sendReply(id: string, message: string, files: File[], client: ApiClient = api): Promise<ReplyAnswer> {
  const form = new FormData();
  form.append('message', message);
  for (const file of files) form.append('sample', file, file.name);
  return client.request('POST', `/v1/submissions/${encodeURIComponent(id)}/replies`, { body: form });
}

/** A webhook of the organisation (`GET /v1/webhooks`); its secret is only in the answer that created it. */
export interface Webhook {
  id: string;
  url: string;
  createdAt: string;
}

export interface CreatedWebhook extends Webhook {
  secret: string;
}

/** One delivery of a webhook (`GET /v1/webhooks/:id/deliveries`). */
export interface WebhookDelivery {
  id: string;
  eventType: string;
  caseId: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastResult: 'delivered' | 'receiver_error' | 'unreachable' | 'refused_destination' | 'webhook_disabled' | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
}

export const webhooksQueryKey = ['webhooks'] as const;

export function fetchWebhooks(client: ApiClient = api): Promise<{ items: Webhook[] }> {
  return client.get('/v1/webhooks');
}

export function createWebhook(url: string, client: ApiClient = api): Promise<CreatedWebhook> {
  return client.post('/v1/webhooks', { url });
}

export function deleteWebhook(id: string, client: ApiClient = api): Promise<void> {
  return client.delete(`/v1/webhooks/${encodeURIComponent(id)}`);
}

/** `POST /v1/webhooks/:id/test`: a `webhook.test` event, delivered like the others. */
export function sendWebhookTest(id: string, client: ApiClient = api): Promise<WebhookDelivery> {
  return client.post(`/v1/webhooks/${encodeURIComponent(id)}/test`);
}

export function fetchWebhookDeliveries(
  id: string,
  cursor: string | undefined,
  client: ApiClient = api,
): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
  const query = new URLSearchParams({ limit: '10' });
  if (cursor) query.set('cursor', cursor);
  return client.get(`/v1/webhooks/${encodeURIComponent(id)}/deliveries?${query.toString()}`);
}

export const apiKeysQueryKey = ['organization-api-keys'] as const;

/** `GET /v1/organizations/current/api-keys`: the organisation's keys, revoked ones included (its admins only). */
export function fetchApiKeys(
  cursor: string | undefined,
  client: ApiClient = api,
): Promise<{ items: OrganizationApiKey[]; nextCursor: string | null }> {
  const query = new URLSearchParams({ limit: '50' });
  if (cursor) query.set('cursor', cursor);
  return client.get(`/v1/organizations/current/api-keys?${query.toString()}`);
}

/** A new key of the organisation; the answer is the only place the key is ever shown. */
export function createApiKey(name: string, client: ApiClient = api): Promise<CreatedOrganizationApiKey> {
  return client.post('/v1/organizations/current/api-keys', { name });
}

export function revokeApiKey(id: string, client: ApiClient = api): Promise<void> {
  return client.delete(`/v1/organizations/current/api-keys/${encodeURIComponent(id)}`);
}
