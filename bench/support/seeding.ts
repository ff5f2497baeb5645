/**
 * What the build benchmarks seed alike: a clean corpus put straight into S3 and registered, the accounts of the
 * expedited path, and a confirmed false negative carrying a marker nothing detects yet.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Client } from 'pg';
import { createS3Client } from '@sigdesk/storage';
import {
  Customer,
  expect2xx,
  jsonRequest,
  multipartFromBuffer,
  post,
  Sigdesk,
  sleep,
  SUBMISSION_FIELDS,
} from './harness';

export interface CorpusObject {
  sha256: string;
  name: string;
  path: string;
  size: number;
}

/**
 * Puts the files in the run's S3 bucket under `corpus/<sha[0:2]>/<sha>` (4 PUTs at a time, a PUT that has not
 * answered in 60 s sent again, up to 3 times) and registers them in `clean_corpus_files` with `pg`:
 * `POST /v1/admin/clean-corpus` would spool and hash every file again.
 */
export async function storeCleanCorpus(sigdesk: Sigdesk, db: Client, files: readonly CorpusObject[]): Promise<void> {
  const s3 = createS3Client(sigdesk.s3);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < files.length) {
          const file = files[next++];
          for (let attempt = 1; ; attempt++) {
            try {
              await s3.send(
                new PutObjectCommand({
                  Bucket: sigdesk.s3.bucket,
                  Key: `corpus/${file.sha256.slice(0, 2)}/${file.sha256}`,
                  Body: createReadStream(file.path),
                  ContentLength: file.size,
                  ContentType: 'application/octet-stream',
                }),
                { abortSignal: AbortSignal.timeout(60_000) },
              );
              break;
            } catch (error) {
              if (attempt >= 3) throw error;
              console.error(`PUT ${file.name} (attempt ${attempt}): ${(error as Error).message}; again`);
            }
          }
        }
      }),
    );
  } finally {
    s3.destroy();
  }
  await db.query(
    `INSERT INTO clean_corpus_files (sha256, name, size, storage_key)
     SELECT sha256, name, size, 'corpus/' || substr(sha256, 1, 2) || '/' || sha256
     FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(sha256, name, size)`,
    [files.map((f) => f.sha256), files.map((f) => f.name), files.map((f) => f.size)],
  );
}

/**
 * What the expedited path needs: an organisation with an MSA Start contract and its customer key, and two analysts
 * (one proposes, the other approves).
 */
export async function msaStartAccounts(sigdesk: Sigdesk): Promise<{ customer: Customer; analysts: [string, string] }> {
  const admin = (method: string, path: string, body?: unknown) =>
    jsonRequest(`${sigdesk.url}${path}`, method, sigdesk.adminKey, body);
  const year = new Date().getUTCFullYear();
  const org = await expect2xx<{ id: string }>(
    'organization',
    admin('POST', '/v1/admin/organizations', { name: 'Bench MSA GmbH', timezone: 'Europe/Berlin', country: 'DE' }),
  );
  await expect2xx(
    'contract',
    admin('POST', `/v1/admin/organizations/${org.id}/contracts`, {
      tier: 'msa_start',
      startsOn: `${year - 1}-01-01`,
      endsOn: `${year + 1}-12-31`,
    }),
  );
  const customer = await expect2xx<{ key: string }>(
    'customer key',
    admin('POST', '/v1/admin/api-keys', { role: 'customer', organizationId: org.id, name: 'bench msa' }),
  );
  const [a, b] = await Promise.all(
    ['bench analyst A', 'bench analyst B'].map((name) =>
      expect2xx<{ key: string }>('analyst key', admin('POST', '/v1/admin/api-keys', { role: 'analyst', name })),
    ),
  );
  return { customer: { organizationId: org.id, key: customer.key }, analysts: [a.key, b.key] };
}

/** A confirmed false negative of the customer, ready for a rule: its case, the marker to detect, the intake's time. */
export interface MarkerCase {
  id: string;
  reference: string;
  marker: string;
  intakeMs: number;
}

/**
 * The customer submits a sample carrying a random marker (against `databaseVersion`, if given); once its intake is
 * complete (the intake is the first scan, so it compiles the ruleset), the analyst claims the case and confirms it.
 */
export async function confirmedMarkerCase(
  sigdesk: Sigdesk,
  customer: Customer,
  analystKey: string,
  options: { databaseVersion?: number; intakeTimeoutMs?: number } = {},
): Promise<MarkerCase> {
  const analyst = (method: string, path: string, body?: unknown) =>
    jsonRequest(`${sigdesk.url}${path}`, method, analystKey, body);
  const marker = `SIGDESK-BENCH-MARKER-${randomBytes(12).toString('hex')}`;
  const sample = Buffer.concat([randomBytes(20_000), Buffer.from(marker), randomBytes(20_000)]);
  const fields =
    options.databaseVersion === undefined
      ? SUBMISSION_FIELDS
      : { ...SUBMISSION_FIELDS, databaseVersion: String(options.databaseVersion) };
  const body = multipartFromBuffer(fields, { field: 'sample', name: 'dropper.bin', content: sample });
  const started = Date.now();
  const submitted = await post(
    `${sigdesk.url}/v1/submissions`,
    { authorization: `Bearer ${customer.key}`, 'content-type': body.contentType },
    body.buffer,
    body.length,
  );
  if (submitted.status !== 201) throw new Error(`submission: HTTP ${submitted.status} ${submitted.body}`);
  const theCase = JSON.parse(submitted.body) as { id: string; reference: string };
  const timeoutMs = options.intakeTimeoutMs ?? 1_800_000;
  for (;;) {
    const r = await analyst('GET', `/v1/cases/${theCase.id}`);
    if (r.status === 200 && (r.body.timeline as Array<{ type: string }>).some((e) => e.type === 'intake_completed')) {
      break;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`intake not done within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
  const intakeMs = Date.now() - started;
  const claimed = await expect2xx<{ id: string }>('claim', analyst('POST', '/v1/review-queue/claim'));
  if (claimed.id !== theCase.id) throw new Error(`claimed ${claimed.id}, not the bench case ${theCase.id}`);
  await expect2xx(
    'verdict',
    analyst('POST', `/v1/cases/${theCase.id}/verdict`, { verdict: 'confirmed', note: 'reproduced (bench)' }),
  );
  return { id: theCase.id, reference: theCase.reference, marker, intakeMs };
}
