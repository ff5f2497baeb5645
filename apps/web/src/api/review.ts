import type {
  AnalystCase,
  Claim,
  QueueItem,
  QueuePage,
  ResponseClock,
} from '../../../../libs/review/src/review.schemas';
import { api, type ApiClient } from './client';

export type { AnalystCase, Claim, QueueItem, QueuePage, ResponseClock };

/** The queue's filters (`GET /v1/review-queue`); none set lists every queued case. */
export interface QueueFilter {
  tier?: 'standard' | 'msa_start';
  premium?: boolean;
  severity?: number;
  kind?: 'false_positive' | 'false_negative';
  /** no: queued only (the API's default); yes: in review only; any: both */
  claimed?: 'no' | 'yes' | 'any';
}

export type Verdict = 'confirmed' | 'not_reproduced' | 'declined';

/** What the analyst's pages read: stale on every live event about a case (see live-updates.ts). */
export const reviewQueryKeys = {
  all: ['review'] as const,
  queue: ['review', 'queue'] as const,
  queueOf: (filter: QueueFilter) => ['review', 'queue', filter] as const,
  case: (id: string) => ['review', 'case', id] as const,
};

export const QUEUE_PAGE_SIZE = 50;

export function fetchQueue(filter: QueueFilter, cursor?: string, client: ApiClient = api): Promise<QueuePage> {
  const query = new URLSearchParams({ limit: String(QUEUE_PAGE_SIZE) });
  for (const [name, value] of Object.entries(filter)) if (value !== undefined) query.set(name, String(value));
  if (cursor) query.set('cursor', cursor);
  return client.get<QueuePage>(`/v1/review-queue?${query}`);
}

/** The next case of the queue, claimed; null when the queue is empty (204). */
export async function claimNext(client: ApiClient = api): Promise<AnalystCase | null> {
  return (await client.post<AnalystCase | undefined>('/v1/review-queue/claim')) ?? null;
}

export function claimCase(id: string, client: ApiClient = api): Promise<AnalystCase> {
  return client.post<AnalystCase>(`/v1/cases/${encodeURIComponent(id)}/claim`);
}

export function fetchAnalystCase(id: string, client: ApiClient = api): Promise<AnalystCase> {
  return client.get<AnalystCase>(`/v1/cases/${encodeURIComponent(id)}`);
}

/** The qualified response, or (awaitCustomer) a question that waits for the customer. */
export function respond(
  id: string,
  input: { message: string; awaitCustomer: boolean },
  client: ApiClient = api,
): Promise<AnalystCase> {
  return client.post<AnalystCase>(`/v1/cases/${encodeURIComponent(id)}/responses`, input);
}

export function giveVerdict(
  id: string,
  input: { verdict: Verdict; note: string; applyToGroup: boolean },
  client: ApiClient = api,
): Promise<AnalystCase & { appliedTo: string[]; skipped: Array<{ reference: string }> }> {
  return client.post(`/v1/cases/${encodeURIComponent(id)}/verdict`, input);
}

export function releaseCase(id: string, client: ApiClient = api): Promise<AnalystCase> {
  return client.post<AnalystCase>(`/v1/cases/${encodeURIComponent(id)}/release`);
}

export function takeOverCase(id: string, client: ApiClient = api): Promise<AnalystCase> {
  return client.post<AnalystCase>(`/v1/cases/${encodeURIComponent(id)}/takeover`);
}

/** Where a sample downloads from: a ZIP protected with "infected", sent as an attachment (never shown inline). */
export function sampleDownloadPath(caseId: string, sha256: string): string {
  return `/v1/cases/${encodeURIComponent(caseId)}/samples/${encodeURIComponent(sha256)}`;
}
