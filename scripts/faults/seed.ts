/**
 * Everything the suite needs, made through the HTTP API the way an administrator, analysts and a customer would:
 * database release 100, customers on standard and MSA Start contracts, two analysts and a validated signature change
 * of an MSA Start case, whose approval (in fault 9) starts an expedited build.
 */
import { randomBytes } from 'node:crypto';
import { jsonRequest, sleep, SUBMISSION_FIELDS } from '../../bench/support/harness';
import type { Customer } from './load';

async function created<T>(what: string, call: Promise<{ status: number; body: T }>, status = 201): Promise<T> {
  const answer = await call;
  if (answer.status !== status) throw new Error(`seed ${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function seedRelease(url: string, adminKey: string, version: number): Promise<void> {
  await created(
    'release',
    jsonRequest(`${url}/v1/admin/database-releases`, 'POST', adminKey, {
      version,
      releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    }),
  );
}

export async function seedCustomer(
  url: string,
  adminKey: string,
  name: string,
  tier: Customer['tier'],
): Promise<Customer> {
  const year = new Date().getUTCFullYear();
  const org = await created<{ id: string }>(
    'organization',
    jsonRequest(`${url}/v1/admin/organizations`, 'POST', adminKey, {
      name,
      timezone: 'Europe/Madrid',
      country: 'ES',
    }),
  );
  const contract = await created<{ id: string; premiumIncidents?: { total: number } }>(
    'contract',
    jsonRequest(`${url}/v1/admin/organizations/${org.id}/contracts`, 'POST', adminKey, {
      tier,
      startsOn: `${year - 1}-01-01`,
      endsOn: `${year + 1}-12-31`,
    }),
  );
  const key = await created<{ key: string }>(
    'customer key',
    jsonRequest(`${url}/v1/admin/api-keys`, 'POST', adminKey, {
      role: 'customer',
      organizationId: org.id,
      name: 'fault suite',
    }),
  );
  return {
    name,
    organizationId: org.id,
    contractId: contract.id,
    key: key.key,
    tier,
    premiumLeft: contract.premiumIncidents?.total ?? 0,
    caseIds: [],
  };
}

/**
 * A clean corpus of `files` random files of `mib` MiB each: enough to scan that a build takes seconds, so that the
 * fault rows can interrupt one while it runs (with an empty corpus a build is stored in about 0.1 s).
 */
export async function seedCleanCorpus(url: string, adminKey: string, files: number, mib: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(mib * 1024 * 1024)]), `clean-${i + 1}.bin`);
    const answer = await fetch(`${url}/v1/admin/clean-corpus`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
      body: form,
    });
    if (answer.status !== 201) throw new Error(`seed the clean corpus: HTTP ${answer.status} ${await answer.text()}`);
  }
}

export async function seedKey(url: string, adminKey: string, role: 'analyst' | 'release', name: string) {
  return (
    await created<{ key: string }>('key', jsonRequest(`${url}/v1/admin/api-keys`, 'POST', adminKey, { role, name }))
  ).key;
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`seed: ${what} not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

export interface BuildChange {
  changeId: string;
  caseId: string;
  ruleName: string;
}

/**
 * A false negative of an MSA Start customer whose sample carries a unique marker, through intake, claimed and
 * confirmed by `author`, with an add_detection rule for it that passed validation. Run before the load starts: the
 * claim takes the first case of the review queue, which must be this one.
 */
export async function validatedChange(url: string, customer: Customer, author: string): Promise<BuildChange> {
  const marker = `FAULT-SUITE-${randomBytes(8).toString('hex')}`;
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...SUBMISSION_FIELDS, severity: '1' })) form.append(name, value);
  form.append('sample', new Blob([Buffer.concat([randomBytes(200), Buffer.from(marker)])]), 'dropper.bin');
  const submitted = await fetch(`${url}/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${customer.key}` },
    body: form,
  });
  const body = (await submitted.json()) as { id: string; reference: string };
  if (submitted.status !== 201)
    throw new Error(`seed the build's case: HTTP ${submitted.status} ${JSON.stringify(body)}`);
  await eventually('the intake of the build case', 60_000, async () => {
    const found = await jsonRequest<{ timeline: Array<{ type: string }> }>(`${url}/v1/cases/${body.id}`, 'GET', author);
    return found.body.timeline?.some((e) => e.type === 'intake_completed') ? true : undefined;
  });
  const claimed = await created<{ id: string }>(
    'claim',
    jsonRequest(`${url}/v1/review-queue/claim`, 'POST', author, {}),
    200,
  );
  if (claimed.id !== body.id) throw new Error(`seed: the review queue handed out ${claimed.id}, not ${body.id}`);
  await created(
    'verdict',
    jsonRequest(`${url}/v1/cases/${body.id}/verdict`, 'POST', author, { verdict: 'confirmed', note: 'reproduced' }),
    200,
  );
  const ruleName = `Fault_Suite_${marker.slice(-16)}`;
  const rule = `rule ${ruleName}\n{\n    meta:\n        case = "${body.reference}"\n    strings:\n        $m = "${marker}"\n    condition:\n        $m\n}`;
  const proposed = await created<{ id: string }>(
    'signature change',
    jsonRequest(`${url}/v1/cases/${body.id}/signature-changes`, 'POST', author, { type: 'add_detection', rule }),
    202,
  );
  const change = await eventually('the validation of the change', 120_000, async () => {
    const found = await jsonRequest<{ status: string; report?: unknown }>(
      `${url}/v1/signature-changes/${proposed.id}`,
      'GET',
      author,
    );
    return found.body.status === 'validating' ? undefined : found.body;
  });
  if (change.status !== 'validated') throw new Error(`seed: the change was not validated: ${JSON.stringify(change)}`);
  return { changeId: proposed.id, caseId: body.id, ruleName };
}
