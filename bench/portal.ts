/**
 * The customer portal's budgets, in headless Chromium against a real sigdesk serving the built web app:
 *
 * (a) the cases list (`/cases`) of an organisation with BENCH_CASES cases (default 10,000): time from the navigation's
 *     start to the first page of rows in the DOM (goal < 1 s), a fresh profile each time (cold) and reloaded (warm);
 * (b) the SHA-256 of a BENCH_MIB file (default 200 MiB) on the Submit page: the app's own code (the dropzone, then
 *     `sha256OfFile` and its Web Worker), from the file input's `change` to the hash on the page (goal ≥ 150 MB/s);
 * (c) the tab's JavaScript heap (CDP `Runtime.getHeapUsage`, every 100 ms) and Chromium's memory while the Submit
 *     page uploads that file: start, peak, end (goal: flat, not growing with the file).
 *
 *   npm run bench:portal      (node -r ./bench/register.js bench/portal.ts)
 *
 * Environment: BENCH_CASES, BENCH_MIB, BENCH_RUNS (page loads and hashes per kind, default 5 and 3), BENCH_BUILD=1.
 * Prints figures; asserts nothing. Needs PostgreSQL, Redis and Chromium (see bench/README.md).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../libs/testing/src/browser';
import { mailedToken } from '../libs/testing/src/people';
import { startSmtpCatcher, type SmtpCatcher } from '../libs/testing/src/smtp-catcher';
import { ensureWebAppBuilt } from '../libs/testing/src/web-app-build';
import {
  describeRun,
  envNumber,
  jsonRequest,
  MiB,
  printProblems,
  processTreeMemory,
  readProcStatus,
  Sigdesk,
  startSigdesk,
  verdict,
} from './support/harness';

const PASSWORD = 'correct horse battery staple';
const LIST_GOAL_MS = 1000;
const HASH_GOAL_MB_S = 150;

/**
 * Runs in every page before its own scripts: the times (performance.now(), from the navigation's start) at which
 * the first case row appears, a file input changes, and each SHA-256 shows. In-page code as text: this program is
 * typed for Node.js, without the DOM.
 */
const PAGE_PROBE = `
  window.__bench = { firstRowMs: null, changes: [], hashes: {} };
  document.addEventListener('change', (event) => {
    if (event.target && event.target.type === 'file') window.__bench.changes.push(performance.now());
  }, true);
  new MutationObserver(() => {
    const bench = window.__bench;
    if (bench.firstRowMs === null && document.querySelector('tbody a[href^="/cases/"]')) {
      bench.firstRowMs = performance.now();
    }
    for (const element of document.querySelectorAll('[data-testid=sha256]')) {
      const text = (element.textContent || '').trim();
      if (/^[0-9a-f]{64}$/.test(text) && !(text in bench.hashes)) bench.hashes[text] = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

interface Probe {
  firstRowMs: number | null;
  changes: number[];
  hashes: Record<string, number>;
}

const readProbe = (page: Page) => page.evaluate('window.__bench') as Promise<Probe>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ms = (value: number) => `${value.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** An organisation's person, invited by the admin key (the mailed link accepted): the one who signs in. */
async function invitedPerson(sigdesk: Sigdesk, smtp: SmtpCatcher): Promise<string> {
  const email = `bench.${randomBytes(4).toString('hex')}@acme.example`;
  const invited = await jsonRequest(`${sigdesk.url}/v1/admin/users/invitations`, 'POST', sigdesk.adminKey, {
    email,
    displayName: 'Bench Person',
    role: 'customer',
    organizationId: sigdesk.customer.organizationId,
  });
  if (invited.status !== 201) throw new Error(`invite: ${invited.status} ${JSON.stringify(invited.body)}`);
  const token = await mailedToken(smtp, email, '/invitations');
  const accepted = await fetch(`${sigdesk.url}/v1/invitations/${token}/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: PASSWORD }),
  });
  if (accepted.status !== 201) throw new Error(`accept: ${accepted.status} ${await accepted.text()}`);
  return email;
}

/** A fresh profile, signed in (the session's cookie in its jar), with the probe in every page. */
async function signedInContext(browser: Browser, sigdesk: Sigdesk, email: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: sigdesk.url, locale: 'en-GB', timezoneId: 'Europe/Madrid' });
  await context.addInitScript({ content: PAGE_PROBE });
  const answer = await context.request.post('/v1/sessions', { data: { email, password: PASSWORD } });
  if (answer.status() !== 201) throw new Error(`sign in: ${answer.status()} ${await answer.text()}`);
  return context;
}

/** BENCH_CASES cases of the organisation, written straight into PostgreSQL (1,000 rows a statement). */
async function seedCases(sigdesk: Sigdesk, count: number): Promise<void> {
  const db = new Client({ connectionString: sigdesk.databaseUrl });
  await db.connect();
  try {
    const organizationId = sigdesk.customer.organizationId;
    const { rows: contracts } = await db.query<{ id: string; tier: string }>(
      'SELECT id, tier FROM contracts WHERE organization_id = $1',
      [organizationId],
    );
    const keyHash = createHash('sha256').update(sigdesk.customer.key).digest('hex');
    const { rows: keys } = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE key_hash = $1', [keyHash]);
    const statuses = ['queued', 'in_review', 'closed', 'declined'];
    const now = Date.now();
    for (let start = 0; start < count; start += 1000) {
      const ids: string[] = [];
      const references: string[] = [];
      const kinds: string[] = [];
      const severities: number[] = [];
      const chosen: string[] = [];
      const created: Date[] = [];
      const due: Date[] = [];
      for (let i = start; i < Math.min(start + 1000, count); i++) {
        ids.push(randomUUID());
        references.push(`SD-BENCH-${String(i + 1).padStart(6, '0')}`);
        kinds.push(i % 3 === 0 ? 'false_positive' : 'false_negative');
        severities.push((i % 4) + 1);
        chosen.push(statuses[i % statuses.length]);
        // spread over the last 200 days, the newest last
        const at = now - (count - i) * 1_728_000;
        created.push(new Date(at));
        due.push(new Date(at + 3 * 86_400_000));
      }
      await db.query(
        `INSERT INTO cases (id, reference, organization_id, contract_id, tier, kind, severity, premium, status, product,
           product_version, database_channel, database_version, detection_name, description, submitted_by,
           response_due_at, intake_completed_at, created_at, updated_at)
         SELECT id, reference, $1, $2, $3, kind, severity, false, status, 'Endpoint Security for Business',
           '12.4.0.467', 'default', 100, CASE WHEN kind = 'false_positive' THEN 'HEUR:Trojan.Win32.Generic' END,
           'Benchmark case', $4, response_due_at, created_at, created_at, created_at
         FROM unnest($5::uuid[], $6::text[], $7::text[], $8::smallint[], $9::text[], $10::timestamptz[],
           $11::timestamptz[]) AS t(id, reference, kind, severity, status, created_at, response_due_at)`,
        [
          organizationId,
          contracts[0].id,
          contracts[0].tier,
          keys[0].id,
          ids,
          references,
          kinds,
          severities,
          chosen,
          created,
          due,
        ],
      );
    }
    await db.query('ANALYZE cases');
  } finally {
    await db.end();
  }
}

/** (a) Navigation start → the first page of rows, a fresh profile each time, then reloads in one profile. */
async function measureCasesList(browser: Browser, sigdesk: Sigdesk, email: string, runs: number): Promise<boolean> {
  const cold: number[] = [];
  const api: number[] = [];
  const steps: Array<Record<string, number>> = [];
  for (let run = 0; run < runs; run++) {
    const context = await signedInContext(browser, sigdesk, email);
    const page = await context.newPage();
    await page.goto('/cases');
    const probe = await until(
      'the first rows',
      () => readProbe(page),
      (p) => p.firstRowMs !== null,
    );
    cold.push(probe.firstRowMs!);
    const timing = (await page.evaluate(`(() => {
      const first = (part) => performance.getEntriesByType('resource').find((e) => e.name.includes(part));
      const navigation = performance.getEntriesByType('navigation')[0];
      const session = first('/v1/sessions/current');
      const list = first('/v1/submissions?');
      return {
        html: navigation.responseEnd,
        domContentLoaded: navigation.domContentLoadedEventEnd,
        sessionStart: session ? session.startTime : NaN,
        sessionEnd: session ? session.responseEnd : NaN,
        listStart: list ? list.startTime : NaN,
        listEnd: list ? list.responseEnd : NaN,
      };
    })()`)) as Record<'html' | 'domContentLoaded' | 'sessionStart' | 'sessionEnd' | 'listStart' | 'listEnd', number>;
    api.push(timing.listEnd - timing.listStart);
    steps.push({ ...timing, firstRow: probe.firstRowMs! });
    const rows = await page.locator('tbody a[href^="/cases/"]').count();
    if (run === 0) console.log(`  rows on the first page: ${rows}`);
    await context.close();
  }
  const warm: number[] = [];
  const context = await signedInContext(browser, sigdesk, email);
  const page = await context.newPage();
  await page.goto('/cases');
  await until(
    'the first rows',
    () => readProbe(page),
    (p) => p.firstRowMs !== null,
  );
  for (let run = 0; run < runs; run++) {
    await page.reload();
    const probe = await until(
      'the first rows',
      () => readProbe(page),
      (p) => p.firstRowMs !== null,
    );
    warm.push(probe.firstRowMs!);
  }
  await context.close();

  const line = (values: number[]) =>
    `median ${ms(median(values))}, min ${ms(Math.min(...values))}, max ${ms(Math.max(...values))}`;
  console.log(`  cold (fresh profile) ×${runs}: ${line(cold)}  [${cold.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`  warm (reload)        ×${runs}: ${line(warm)}  [${warm.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`  of which GET /v1/submissions (request → response end): ${line(api)}`);
  const at = (name: string) => ms(median(steps.map((step) => step[name])));
  console.log(
    `  cold, medians from the navigation's start: HTML ${at('html')}, DOMContentLoaded ${at('domContentLoaded')}, ` +
      `session asked ${at('sessionStart')} → ${at('sessionEnd')}, cases asked ${at('listStart')} → ` +
      `${at('listEnd')}, first rows ${at('firstRow')}`,
  );
  const pass = Math.max(...cold, ...warm) < LIST_GOAL_MS;
  console.log(`  goal < ${LIST_GOAL_MS} ms for every load: ${verdict(pass)}`);
  return pass;
}

/** A file of `bytes` random bytes; its SHA-256. */
function writeRandomFile(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes;) {
      const chunk = randomBytes(Math.min(8 * MiB, bytes - written));
      hash.update(chunk);
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** (b) The Submit page hashes the file: the dropzone's input changes → the SHA-256 shows. */
async function measureHash(page: Page, file: string, sha256: string, bytes: number): Promise<number> {
  await page.goto('/submit');
  await page.getByRole('heading', { level: 1, name: 'Submit a request' }).waitFor();
  // the dropzone takes files once it knows the organisation's limits (it says them then)
  await page.getByText(/Up to \d+ files of at most/).waitFor();
  await page.locator('input[type=file]').setInputFiles(file);
  const probe = await until(
    'the SHA-256 on the page',
    () => readProbe(page),
    (p) => sha256 in p.hashes,
  ).catch(async (error: unknown) => {
    // what the page shows instead (an error of the hashing, say)
    console.log(`  !! page: ${JSON.stringify(await readProbe(page))} ${await page.locator('main').innerText()}`);
    throw error;
  });
  const elapsed = probe.hashes[sha256] - probe.changes[probe.changes.length - 1];
  return bytes / 1e6 / (elapsed / 1000);
}

/** Chromium's processes: every descendant of this process but sigdesk's tree (and this process itself). */
function chromiumRssKiB(sigdesk: Sigdesk): number {
  return (
    processTreeMemory(process.pid).rssKiB - processTreeMemory(sigdesk.pid).rssKiB - readProcStatus(process.pid).rssKiB
  );
}

/** (c) Upload the hashed file through the page; the tab's JS heap and Chromium's RSS, sampled every 100 ms. */
async function measureUpload(page: Page, context: BrowserContext, sigdesk: Sigdesk, bytes: number): Promise<void> {
  await page.getByRole('radio', { name: /^False negative/ }).check();
  await page.getByRole('radio', { name: /^2 · High/ }).check();
  await page.getByRole('textbox', { name: 'Product', exact: true }).fill('Endpoint Security for Business');
  await page.getByRole('textbox', { name: 'Product version' }).fill('12.4.0.467');
  await page.getByRole('textbox', { name: 'Antivirus database version' }).fill('100');
  await page.getByRole('textbox', { name: 'Description' }).fill('Benchmark: a large sample uploaded from the page.');

  const devtools = await context.newCDPSession(page);
  await devtools.send('HeapProfiler.collectGarbage');
  const samples: Array<{ ms: number; heap: number; rssKiB: number }> = [];
  const started = Date.now();
  const sample = async () => {
    const { usedSize } = (await devtools.send('Runtime.getHeapUsage')) as { usedSize: number };
    samples.push({ ms: Date.now() - started, heap: usedSize, rssKiB: chromiumRssKiB(sigdesk) });
  };
  await sample();
  let uploading = true;
  const sampler = (async () => {
    while (uploading) {
      await sample();
      await sleep(100);
    }
  })();
  await page.getByRole('button', { name: 'Send request' }).click();
  await page.waitForURL((url) => /^\/cases\/[0-9a-f-]{36}$/.test(url.pathname), { timeout: 300_000 });
  const uploadMs = Date.now() - started;
  uploading = false;
  await sampler;
  await sample();
  await devtools.send('HeapProfiler.collectGarbage');
  await sample();

  const first = samples[0];
  const peak = samples.reduce((a, b) => (b.heap > a.heap ? b : a));
  const peakRss = samples.reduce((a, b) => (b.rssKiB > a.rssKiB ? b : a));
  const beforeGc = samples[samples.length - 2];
  const last = samples[samples.length - 1];
  console.log(
    `  upload of ${mib(bytes)}: ${(uploadMs / 1000).toFixed(1)} s (to the case page), ${samples.length} samples`,
  );
  console.log(
    `  tab JS heap: start ${mib(first.heap)}, peak ${mib(peak.heap)} (at ${(peak.ms / 1000).toFixed(1)} s), ` +
      `end ${mib(beforeGc.heap)}, after GC ${mib(last.heap)}; peak − start ${mib(peak.heap - first.heap)}`,
  );
  console.log(
    `  Chromium RSS (all its processes): start ${mib(first.rssKiB * 1024)}, peak ${mib(peakRss.rssKiB * 1024)}, ` +
      `end ${mib(last.rssKiB * 1024)}`,
  );
  const flat = peak.heap - first.heap < bytes / 10;
  console.log(`  goal: the heap does not grow with the file (peak − start < a tenth of it): ${verdict(flat)}`);
}

async function main(): Promise<void> {
  const cases = envNumber('BENCH_CASES', 10_000);
  const bytes = envNumber('BENCH_MIB', 200) * MiB;
  const listRuns = envNumber('BENCH_RUNS', 5);
  const hashRuns = Math.max(1, Math.min(listRuns, 3));
  console.log(describeRun());
  const web = await ensureWebAppBuilt();
  const smtp = await startSmtpCatcher();
  const folder = mkdtempSync(join(tmpdir(), 'sigdesk-bench-portal-'));
  let sigdesk: Sigdesk | undefined;
  let browser: Browser | undefined;
  try {
    sigdesk = await startSigdesk('portal', {
      env: { SIGDESK_WEB_DIR: web, SIGDESK_SMTP_URL: smtp.url, SIGDESK_MAIL_FROM: 'sigdesk <bench@sigdesk.example>' },
    });
    const email = await invitedPerson(sigdesk, smtp);
    browser = await launchChromium();
    console.log(`chromium ${browser.version()}`);

    console.log(`\n(a) /cases with ${cases.toLocaleString('en')} cases of one organisation`);
    const seeding = Date.now();
    await seedCases(sigdesk, cases);
    console.log(`  seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
    await measureCasesList(browser, sigdesk, email, listRuns);

    console.log(`\n(b) SHA-256 of a ${mib(bytes)} file on the Submit page (Web Worker, hash-wasm)`);
    const file = join(folder, 'sample.bin');
    const sha256 = writeRandomFile(file, bytes);
    const context = await signedInContext(browser, sigdesk, email);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.log(`  !! the page threw: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') console.log(`  !! the page logged: ${message.text()}`);
    });
    const rates: number[] = [];
    for (let run = 0; run < hashRuns; run++) rates.push(await measureHash(page, file, sha256, bytes));
    console.log(
      `  ${rates.map((rate) => `${rate.toFixed(0)} MB/s`).join(', ')} (each a fresh page: the worker and its ` +
        `WebAssembly start with the first file); best ${Math.max(...rates).toFixed(0)} MB/s`,
    );
    console.log(`  goal ≥ ${HASH_GOAL_MB_S} MB/s: ${verdict(median(rates) >= HASH_GOAL_MB_S)} (median)`);

    console.log(`\n(c) the tab's memory while the page uploads the ${mib(bytes)} file`);
    await measureUpload(page, context, sigdesk, bytes);
    await context.close();
    console.log('');
    printProblems(sigdesk);
  } finally {
    await browser?.close();
    await sigdesk?.close();
    await smtp.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
