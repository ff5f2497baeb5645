import { eventually, type SeededCustomer, submissionForm } from '@sigdesk/testing';

export interface SubmittedCase {
  id: string;
  reference: string;
  organizationId: string;
}

type Fields = Parameters<typeof submissionForm>[0];
type Files = Parameters<typeof submissionForm>[1];

/**
 * A case `customer` submits through the API (`fields` over `submissionForm`'s, its samples `files`: by default the EICAR
 * test file); throws unless it is created (201).
 */
export async function submitCase(customer: SeededCustomer, fields: Fields = {}, files?: Files): Promise<SubmittedCase> {
  const res = await customer.client.upload('/v1/submissions', submissionForm(fields, files));
  if (res.status !== 201) throw new Error(`submission: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, reference: res.body.reference, organizationId: customer.organizationId };
}

/** A case `customer` submits, once intake has checked its samples and queued it (as the customer sees it). */
export async function queuedCase(customer: SeededCustomer, fields: Fields = {}, files?: Files): Promise<SubmittedCase> {
  const created = await submitCase(customer, fields, files);
  const seen = await eventually(
    () => customer.client.get(`/v1/submissions/${created.id}`),
    (res) => res.body.status === 'queued',
  );
  if (seen.body.status !== 'queued') throw new Error(`case ${created.reference} is ${seen.body.status}, not queued`);
  return created;
}

/**
 * An analyst (an API key's client or a browser session's) claims cases until it holds `caseId`: other tests' cases may
 * be queued before it, and a case the worker holds locked for a moment (its triage) is skipped by the claim, which then
 * answers 204.
 */
export async function claimedCase(
  analyst: { post(path: string): Promise<{ status: number; body: any }> },
  caseId: string,
): Promise<void> {
  for (let i = 0; i <= 100; i++) {
    const claimed = await analyst.post('/v1/review-queue/claim');
    if (claimed.status === 200 && claimed.body.id === caseId) return;
    if (claimed.status === 204) await new Promise((resolve) => setTimeout(resolve, 100));
    else if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
  }
  throw new Error(`case ${caseId} was not claimed`);
}

/** `analyst` claims and declines every queued case, so that the next claim is the case a test means. */
export async function emptyQueue(
  analyst: { post(path: string, body?: unknown): Promise<{ status: number; body: any }> },
  note = 'test cleanup',
): Promise<void> {
  for (;;) {
    const claimed = await analyst.post('/v1/review-queue/claim');
    if (claimed.status === 204) return;
    if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.body)}`);
    await analyst.post(`/v1/cases/${claimed.body.id}/verdict`, { verdict: 'declined', note });
  }
}
