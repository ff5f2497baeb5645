import { createHash, randomBytes } from 'node:crypto';
import type { TestEnvironment } from './test-environment';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin HTTP client for tests: real requests over loopback, JSON in and out. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  as(key: string): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; form?: FormData; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('application/json') && text) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { json: json ?? {}, headers });
  }

  upload<T = any>(path: string, form: FormData, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { form, headers });
  }
}

export interface SeededCustomer {
  organizationId: string;
  contractId: string;
  key: string;
  client: ApiClient;
}

export async function seedCustomer(
  env: TestEnvironment,
  options: {
    tier?: 'standard' | 'msa_start';
    timezone?: string;
    country?: string;
    name?: string;
    /** Business hours of the response clock; `roundTheClock` makes every hour of every day count. */
    roundTheClock?: boolean;
  } = {},
): Promise<SeededCustomer> {
  const admin = new ApiClient(env.url, env.adminKey);
  const org = await admin.post('/v1/admin/organizations', {
    name: options.name ?? 'Acme Logistics',
    timezone: options.timezone ?? 'Europe/Madrid',
    country: options.country ?? 'ES',
    ...(options.roundTheClock ? { workingDays: [1, 2, 3, 4, 5, 6, 7], workStart: '00:00', workEnd: '24:00' } : {}),
  });
  if (org.status !== 201) throw new Error(`seed organization: ${org.status} ${JSON.stringify(org.body)}`);
  const year = new Date().getUTCFullYear();
  const contract = await admin.post(`/v1/admin/organizations/${org.body.id}/contracts`, {
    tier: options.tier ?? 'msa_start',
    startsOn: `${year - 1}-01-01`,
    endsOn: `${year + 1}-12-31`,
  });
  if (contract.status !== 201) throw new Error(`seed contract: ${contract.status} ${JSON.stringify(contract.body)}`);
  const key = await admin.post('/v1/admin/api-keys', { role: 'customer', organizationId: org.body.id, name: 'portal' });
  if (key.status !== 201) throw new Error(`seed key: ${key.status} ${JSON.stringify(key.body)}`);
  return {
    organizationId: org.body.id,
    contractId: contract.body.id,
    key: key.body.key,
    client: new ApiClient(env.url, key.body.key),
  };
}

export async function seedKey(env: TestEnvironment, role: 'analyst' | 'release' | 'admin'): Promise<ApiClient> {
  const admin = new ApiClient(env.url, env.adminKey);
  const key = await admin.post('/v1/admin/api-keys', { role, name: `${role} for tests` });
  if (key.status !== 201) throw new Error(`seed key: ${key.status} ${JSON.stringify(key.body)}`);
  return new ApiClient(env.url, key.body.key);
}

export async function seedRelease(
  env: TestEnvironment,
  version: number,
  releasedAt = new Date(Date.now() - 3_600_000),
) {
  const admin = new ApiClient(env.url, env.adminKey);
  const release = await admin.post('/v1/admin/database-releases', { version, releasedAt: releasedAt.toISOString() });
  if (release.status !== 201) throw new Error(`seed release: ${release.status} ${JSON.stringify(release.body)}`);
  return release.body;
}

export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');

/** The fields of a valid false-negative submission, as the tests send them. */
export const SUBMISSION_FIELDS: Readonly<Record<string, string>> = {
  kind: 'false_negative',
  severity: '2',
  product: 'Endpoint Security for Business',
  productVersion: '12.4.0.467',
  databaseVersion: '100',
  description: 'The product does not detect this dropper.',
};

export function submissionForm(
  fields: Record<string, string | undefined> = {},
  files: Array<{ name: string; content: Buffer | Uint8Array }> = [{ name: 'eicar.com', content: EICAR }],
): FormData {
  const form = new FormData();
  const all: Record<string, string | undefined> = { ...SUBMISSION_FIELDS, ...fields };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) form.append(name, value);
  for (const file of files) form.append('sample', new Blob([file.content]), file.name);
  return form;
}

/** A ZIP built in memory, protected with the sample-exchange password unless `password` is null. */
export async function protectedZip(
  files: Array<{ name: string; content: Buffer | string }>,
  options: { password?: string | null; zipCrypto?: boolean } = {},
): Promise<Buffer> {
  const { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter, configure } = await import('@zip.js/zip.js');
  configure({ useWebWorkers: false });
  const password = options.password === undefined ? 'infected' : options.password;
  const writer = new ZipWriter(
    new Uint8ArrayWriter(),
    password === null ? {} : { password, zipCrypto: options.zipCrypto ?? false, encryptionStrength: 3 },
  );
  for (const file of files) {
    await writer.add(file.name, new Uint8ArrayReader(Buffer.from(file.content)));
  }
  return Buffer.from(await writer.close());
}

/** A country with no public holiday today or tomorrow, so that a round-the-clock calendar really runs. */
export async function countryWithoutHolidayNow(): Promise<string> {
  const { default: Holidays } = await import('date-holidays');
  const soon = [new Date(), new Date(Date.now() + 86_400_000)];
  for (const country of ['IS', 'NO', 'DE', 'FR', 'JP', 'US', 'ES', 'BR']) {
    const holidays = new Holidays(country);
    if (soon.every((day) => !(holidays.isHoliday(day) || []).some((h) => h.type === 'public'))) return country;
  }
  throw new Error('every candidate country has a public holiday today or tomorrow');
}

/** Polls `probe` until `done` says yes or the time is up; returns the last value (the caller asserts on it). */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Puts the case in review with the analyst, straight in the database: the review queue would hand out whichever
 * case comes first, and a test's other cases may be ahead of it.
 */
export async function claimDirectly(env: TestEnvironment, analyst: ApiClient, caseId: string): Promise<void> {
  const analystKey = await env.db
    .selectFrom('api_keys')
    .select('id')
    .where('key_hash', '=', createHash('sha256').update(analyst.key!).digest('hex'))
    .executeTakeFirstOrThrow();
  await env.db
    .updateTable('cases')
    .set({ status: 'in_review', assigned_to: analystKey.id })
    .where('id', '=', caseId)
    .execute();
}

/**
 * A case submitted by `customer` with one sample, its intake done, claimed by `analyst` directly in the database
 * (to skip the queue) and confirmed.
 */
export async function confirmedCase(
  env: TestEnvironment,
  customer: SeededCustomer,
  analyst: ApiClient,
  content: Buffer,
  options: { kind?: 'false_negative' | 'false_positive'; channel?: string; databaseVersion?: string } = {},
): Promise<{ id: string; reference: string }> {
  const kind = options.kind ?? 'false_negative';
  const submitted = await customer.client.upload(
    '/v1/submissions',
    submissionForm(
      {
        kind,
        databaseVersion: options.databaseVersion ?? '1',
        databaseChannel: options.channel,
        detectionName: kind === 'false_positive' ? 'HEUR:Trojan.Generic' : undefined,
      },
      [{ name: 'sample.bin', content }],
    ),
  );
  if (submitted.status !== 201) throw new Error(`submission: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const id: string = submitted.body.id;
  await eventually(
    () => analyst.get(`/v1/cases/${id}`),
    (res) => res.body.timeline.some((e: { type: string }) => e.type === 'intake_completed'),
  );
  await claimDirectly(env, analyst, id);
  const verdict = await analyst.post(`/v1/cases/${id}/verdict`, { verdict: 'confirmed', note: 'reproduced' });
  if (verdict.body.status !== 'confirmed')
    throw new Error(`verdict: ${verdict.status} ${JSON.stringify(verdict.body)}`);
  return { id, reference: submitted.body.reference };
}

/**
 * A false negative whose sample carries a unique marker, confirmed by `analyst`, with an add_detection change for
 * it that passed validation.
 */
export async function validatedChange(
  env: TestEnvironment,
  customer: SeededCustomer,
  analyst: ApiClient,
  ruleName: string,
  options: { channel?: string; databaseVersion?: string } = {},
): Promise<{ changeId: string; caseId: string; marker: string }> {
  const marker = `MARKER-${randomBytes(8).toString('hex')}`;
  const confirmed = await confirmedCase(
    env,
    customer,
    analyst,
    Buffer.concat([randomBytes(100), Buffer.from(marker)]),
    options,
  );
  const rule = `rule ${ruleName}\n{\n    meta:\n        case = "${confirmed.reference}"\n    strings:\n        $m = "${marker}"\n    condition:\n        $m\n}`;
  const proposed = await analyst.post(`/v1/cases/${confirmed.id}/signature-changes`, { type: 'add_detection', rule });
  if (proposed.status !== 202) throw new Error(`proposal: ${proposed.status} ${JSON.stringify(proposed.body)}`);
  const change = await eventually(
    () => analyst.get(`/v1/signature-changes/${proposed.body.id}`),
    (res) => res.body.status !== 'validating',
  );
  if (change.body.status !== 'validated') throw new Error(`validation: ${JSON.stringify(change.body.report)}`);
  return { changeId: proposed.body.id, caseId: confirmed.id, marker };
}
