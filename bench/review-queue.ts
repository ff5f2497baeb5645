/**
 * The review queue under a realistic backlog: the first page of GET /v1/review-queue, claims one at a time, and
 * claims by many analysts at once (no case handed out twice), plus the PostgreSQL plan of the queue's SQL.
 *
 *   node -r ./bench/register.js bench/review-queue.ts
 *
 * Environment: BENCH_CASES (queued cases, default 10000), BENCH_ANALYSTS (default 16), BENCH_SECONDS (concurrent
 * claims, default 10), BENCH_PAGES (sequential first-page requests, default 200), BENCH_CLAIMS (sequential claims,
 * default 500), BENCH_SEED (the data's random seed, default 1), BENCH_BUILD=1 (rebuild dist/ first).
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; see bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { compareQueuePositions } from '../libs/review/src/queue-order';
import {
  describeRun,
  ensureBuild,
  envNumber,
  jsonRequest,
  printProblems,
  ROOT,
  Sigdesk,
  startSigdesk,
  verdict,
  prng,
} from './support/harness';

const GOAL_MS = 50;
const PAGE_LIMIT = 50;
const HOUR = 3_600_000;

/**
 * The queue's SQL, copied from ReviewRepository.queuePage / lockNextQueued (libs/review/src/review.repository.ts)
 * with the limit written in. The server asks for limit + 1 rows (to know whether there is a next page).
 */
const QUEUE_ORDER = `(c.tier <> 'msa_start'), (NOT c.premium), c.severity, c.response_due_at, c.created_at, c.id`;
const FIRST_PAGE_SQL = `
      SELECT c.*, o.name AS organization_name,
        (SELECT count(*)::int FROM cases g WHERE g.group_id = coalesce(c.group_id, c.id)) + 1 AS group_size
      FROM cases c JOIN organizations o ON o.id = c.organization_id
      WHERE c.status = 'queued'
      ORDER BY ${QUEUE_ORDER}
      LIMIT ${PAGE_LIMIT + 1}`;
const CLAIM_SQL = `
      SELECT c.* FROM cases c WHERE c.status = 'queued'
      ORDER BY ${QUEUE_ORDER}
      LIMIT 1 FOR UPDATE SKIP LOCKED`;

// ---------------------------------------------------------------------------------------------------------------
// small helpers

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** A deterministic PRNG (mulberry32): the same BENCH_SEED gives the same backlog. */

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One request over a keep-alive agent; the time is from the request to the whole response read. */
function call(agent: http.Agent, url: string, method: 'GET' | 'POST', key: string): Promise<Answer> {
  const start = performance.now();
  return new Promise((resolveCall, reject) => {
    const request = http.request(url, {
      method,
      agent,
      headers: { authorization: `Bearer ${key}`, ...(method === 'POST' ? { 'content-length': '0' } : {}) },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () =>
        resolveCall({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - start,
        }),
      );
    });
    request.end();
  });
}

async function created<T = any>(what: string, call: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await call;
  if (status !== 201) throw new Error(`seed ${what}: HTTP ${status} ${JSON.stringify(body)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// seeding

interface Analyst {
  id: string;
  key: string;
}

interface Customer {
  organizationId: string;
  contractId: string;
  tier: 'standard' | 'msa_start';
  keyId: string;
}

/** On top of the harness's release 100 and standard customer: three more organisations and the analysts. */
async function seedAccounts(
  sigdesk: Sigdesk,
  db: Client,
  analysts: number,
): Promise<{ customers: Customer[]; analysts: Analyst[] }> {
  const admin = (path: string, body: unknown) => jsonRequest(`${sigdesk.url}${path}`, 'POST', sigdesk.adminKey, body);
  const year = new Date().getUTCFullYear();
  const extra = [
    { name: 'Bench Logistics GmbH', timezone: 'Europe/Berlin', country: 'DE', tier: 'msa_start' },
    { name: 'Bench Bank Corp', timezone: 'America/New_York', country: 'US', tier: 'msa_start' },
    { name: 'Bench Retail KK', timezone: 'Asia/Tokyo', country: 'JP', tier: 'standard' },
  ] as const;
  for (const org of extra) {
    const { id } = await created<{ id: string }>(
      'organization',
      admin('/v1/admin/organizations', { name: org.name, timezone: org.timezone, country: org.country }),
    );
    await created(
      'contract',
      admin(`/v1/admin/organizations/${id}/contracts`, {
        tier: org.tier,
        startsOn: `${year - 1}-01-01`,
        endsOn: `${year + 1}-12-31`,
      }),
    );
    await created('api key', admin('/v1/admin/api-keys', { role: 'customer', organizationId: id, name: 'bench' }));
  }
  const keys: Analyst[] = [];
  for (let i = 1; i <= analysts; i++) {
    const key = await created<{ id: string; key: string }>(
      'analyst key',
      admin('/v1/admin/api-keys', { role: 'analyst', name: `bench analyst ${String(i).padStart(2, '0')}` }),
    );
    keys.push({ id: key.id, key: key.key });
  }
  const { rows } = await db.query<{
    organization_id: string;
    contract_id: string;
    tier: Customer['tier'];
    key_id: string;
  }>(
    `SELECT k.organization_id, c.id AS contract_id, c.tier, k.id AS key_id
       FROM api_keys k JOIN contracts c ON c.organization_id = k.organization_id
      WHERE k.role = 'customer' ORDER BY c.tier, k.created_at`,
  );
  return {
    customers: rows.map((r) => ({
      organizationId: r.organization_id,
      contractId: r.contract_id,
      tier: r.tier,
      keyId: r.key_id,
    })),
    analysts: keys,
  };
}

interface BenchCase {
  id: string;
  tier: 'standard' | 'msa_start';
  premium: boolean;
  severity: number;
  responseDueAt: Date;
  createdAt: Date;
}

/** Server order: the documented rule (compareQueuePositions), then the id, as the SQL's last key. */
function queueOrder(a: BenchCase, b: BenchCase): number {
  return compareQueuePositions(a, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The backlog, inserted straight into PostgreSQL in batches: about 30 % MSA Start (a tenth of those premium),
 * severities 1–4 weighted towards 3, created over the last two days, due between 1 h and a few days from now
 * (sooner for higher severity and MSA Start), 5 % linked to an earlier case's group.
 */
async function insertBacklog(db: Client, customers: Customer[], count: number, seed: number): Promise<BenchCase[]> {
  const random = prng(seed);
  const msa = customers.filter((c) => c.tier === 'msa_start');
  const standard = customers.filter((c) => c.tier === 'standard');
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const now = Date.now();
  // hours within which the response is due, by tier and severity
  const window = { msa_start: [0, 4, 8, 24, 48], standard: [0, 8, 24, 72, 120] };
  const all: BenchCase[] = [];
  /** Per case, in insertion order: the id of its group's first case. */
  const groupOf: string[] = [];
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const rows = {
      id: [] as string[],
      reference: [] as string[],
      organization: [] as string[],
      contract: [] as string[],
      tier: [] as string[],
      kind: [] as string[],
      severity: [] as number[],
      premium: [] as boolean[],
      submittedBy: [] as string[],
      due: [] as string[],
      warning: [] as string[],
      createdAt: [] as string[],
      group: [] as Array<string | null>,
    };
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const customer = msa.length && random() < 0.3 ? pick(msa) : pick(standard.length ? standard : msa);
      const premium = customer.tier === 'msa_start' && random() < 0.1;
      const r = random();
      const severity = r < 0.05 ? 1 : r < 0.25 ? 2 : r < 0.7 ? 3 : 4;
      const createdAt = new Date(now - random() * 48 * HOUR);
      const hours = window[customer.tier][severity] * (premium ? 0.5 : 1);
      const responseDueAt = new Date(now + HOUR + random() * hours * HOUR);
      const id = randomUUID();
      rows.id.push(id);
      rows.reference.push(`SD-BENCH-${String(i + 1).padStart(6, '0')}`);
      rows.organization.push(customer.organizationId);
      rows.contract.push(customer.contractId);
      rows.tier.push(customer.tier);
      rows.kind.push(random() < 0.6 ? 'false_negative' : 'false_positive');
      rows.severity.push(severity);
      rows.premium.push(premium);
      rows.submittedBy.push(customer.keyId);
      rows.due.push(responseDueAt.toISOString());
      rows.warning.push(new Date(responseDueAt.getTime() - HOUR / 2).toISOString());
      rows.createdAt.push(createdAt.toISOString());
      // a group member points at the first case of an earlier case's group (the foreign key is checked at the end
      // of the statement, so the earlier case may be in this batch)
      const groupId = i > 0 && random() < 0.05 ? groupOf[Math.floor(random() * i)] : null;
      rows.group.push(groupId);
      groupOf.push(groupId ?? id);
      all.push({ id, tier: customer.tier, premium, severity, responseDueAt, createdAt });
    }
    await db.query(
      `INSERT INTO cases (id, reference, organization_id, contract_id, tier, kind, severity, premium, status, product,
         product_version, database_channel, database_version, description, submitted_by, response_due_at,
         sla_warning_at, intake_completed_at, created_at, updated_at, group_id)
       SELECT id, reference, organization_id, contract_id, tier, kind, severity, premium, 'queued',
         'Endpoint Security for Business', '12.4.0.467', 'default', 100,
         'Benchmark case: the product does not detect this sample.', submitted_by, response_due_at, sla_warning_at,
         created_at + interval '5 seconds', created_at, created_at + interval '5 seconds', group_id
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::smallint[],
         $8::boolean[], $9::uuid[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::uuid[])
         AS t(id, reference, organization_id, contract_id, tier, kind, severity, premium, submitted_by,
           response_due_at, sla_warning_at, created_at, group_id)`,
      [
        rows.id,
        rows.reference,
        rows.organization,
        rows.contract,
        rows.tier,
        rows.kind,
        rows.severity,
        rows.premium,
        rows.submittedBy,
        rows.due,
        rows.warning,
        rows.createdAt,
        rows.group,
      ],
    );
  }
  await db.query('ANALYZE cases');
  return all.sort(queueOrder);
}

// ---------------------------------------------------------------------------------------------------------------
// the plan

interface PlanCheck {
  text: string;
  usesIndex: boolean;
  indexScan: boolean;
  sort: boolean;
  executionMs: number;
  buffers: string;
}

/** EXPLAIN (ANALYZE, BUFFERS) of a statement; FOR UPDATE statements run in a transaction rolled back after. */
async function explain(db: Client, statement: string): Promise<PlanCheck> {
  await db.query('BEGIN');
  try {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    const topBuffers = /Buffers: ([^\n]+)/.exec(text)?.[1] ?? '?';
    return {
      text,
      usesIndex: /cases_review_queue_idx/.test(text),
      indexScan: /Index (Only )?Scan( Backward)? using cases_review_queue_idx/.test(text),
      sort: /^\s*(->\s+)?(Incremental )?Sort\s+\(/m.test(text),
      executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN),
      buffers: topBuffers,
    };
  } finally {
    await db.query('ROLLBACK');
  }
}

function planLine(what: string, plan: PlanCheck): string {
  const access = plan.indexScan
    ? 'index scan on cases_review_queue_idx'
    : plan.usesIndex
      ? 'uses cases_review_queue_idx (not a plain index scan)'
      : 'does NOT use cases_review_queue_idx';
  return (
    `${what.padEnd(28)}${access}${plan.sort ? ', with a Sort node' : ', no Sort'}; ` +
    `${plan.executionMs.toFixed(3)} ms, buffers ${plan.buffers} ${verdict(plan.indexScan && !plan.sort)}`
  );
}

/** Warns when the server's ORDER BY is no longer the one copied here (the source may have moved on). */
function checkCopiedSql(): string {
  try {
    const source = readFileSync(join(ROOT, 'libs', 'review', 'src', 'review.repository.ts'), 'utf8');
    return source.includes(`sql\`${QUEUE_ORDER}\``)
      ? 'queue SQL: ORDER BY identical to libs/review/src/review.repository.ts'
      : '!! queue SQL: the ORDER BY in libs/review/src/review.repository.ts differs from the copy in this script';
  } catch (error) {
    return `!! queue SQL: could not read review.repository.ts (${(error as Error).message})`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the measurements

interface ClaimTally {
  latencies: number[];
  /** case id → analyst key id, in the order received. */
  claimed: Array<{ caseId: string; analyst: string; assignedTo: string; status: string }>;
  empty: number;
  errors: Map<string, number>;
  firstError: Map<string, string>;
}

function newTally(): ClaimTally {
  return { latencies: [], claimed: [], empty: 0, errors: new Map(), firstError: new Map() };
}

async function claimOnce(
  url: string,
  agent: http.Agent,
  analyst: Analyst,
  tally: ClaimTally,
): Promise<'claimed' | 'empty' | 'error'> {
  let answer: Answer;
  try {
    answer = await call(agent, `${url}/v1/review-queue/claim`, 'POST', analyst.key);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
    if (!tally.firstError.has(code)) tally.firstError.set(code, (error as Error).message);
    return 'error';
  }
  tally.latencies.push(answer.ms);
  if (answer.status === 200) {
    const body = JSON.parse(answer.body) as { id: string; assignedTo: string; status: string };
    tally.claimed.push({ caseId: body.id, analyst: analyst.id, assignedTo: body.assignedTo, status: body.status });
    return 'claimed';
  }
  if (answer.status === 204) {
    tally.empty++;
    return 'empty';
  }
  const outcome = String(answer.status);
  tally.errors.set(outcome, (tally.errors.get(outcome) ?? 0) + 1);
  if (!tally.firstError.has(outcome)) tally.firstError.set(outcome, answer.body.slice(0, 500));
  return 'error';
}

function errorLines(tally: { errors: Map<string, number>; firstError: Map<string, string> }): string[] {
  return [...tally.errors.entries()].map(
    ([outcome, count]) => `    ${outcome.padEnd(24)}${count}   first: ${tally.firstError.get(outcome)}`,
  );
}

async function main() {
  const caseCount = Math.round(envNumber('BENCH_CASES', 10_000));
  const analystCount = Math.round(envNumber('BENCH_ANALYSTS', 16));
  const seconds = envNumber('BENCH_SECONDS', 10);
  const pages = Math.round(envNumber('BENCH_PAGES', 200));
  const wantedClaims = Math.round(envNumber('BENCH_CLAIMS', 500));
  const dataSeed = Math.round(envNumber('BENCH_SEED', 1));
  // the sequential claims must leave a queue for the concurrent ones
  const sequentialClaims = Math.min(wantedClaims, Math.floor(caseCount / 2));

  ensureBuild();
  const machine = describeRun();
  console.log(machine);
  console.log(checkCopiedSql());
  console.log('starting sigdesk (API + worker) ...');
  const sigdesk = await startSigdesk('review-queue');
  const db = new Client({ connectionString: sigdesk.databaseUrl, application_name: 'bench' });
  const agents: http.Agent[] = [];
  const agent = () => {
    const made = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(made);
    return made;
  };
  try {
    await db.connect();
    console.log(`sigdesk ready at ${sigdesk.url} (pid ${sigdesk.pid})`);
    const { customers, analysts } = await seedAccounts(sigdesk, db, analystCount);
    const tiers = customers.map((c) => c.tier).join(', ');
    console.log(`seeded: release 100, ${customers.length} organisations (${tiers}), ${analysts.length} analyst keys`);

    let t0 = performance.now();
    const expected = await insertBacklog(db, customers, caseCount, dataSeed);
    const insertSeconds = (performance.now() - t0) / 1000;
    const [mix] = (
      await db.query<{ msa: string; premium: string; s1: string; s2: string; s3: string; s4: string; grouped: string }>(
        `SELECT count(*) FILTER (WHERE tier = 'msa_start') AS msa, count(*) FILTER (WHERE premium) AS premium,
           count(*) FILTER (WHERE severity = 1) AS s1, count(*) FILTER (WHERE severity = 2) AS s2,
           count(*) FILTER (WHERE severity = 3) AS s3, count(*) FILTER (WHERE severity = 4) AS s4,
           count(*) FILTER (WHERE group_id IS NOT NULL) AS grouped
         FROM cases WHERE status = 'queued'`,
      )
    ).rows;
    const backlog =
      `${caseCount} queued cases inserted in ${insertSeconds.toFixed(1)} s (+ ANALYZE): ${mix.msa} MSA Start ` +
      `(${mix.premium} premium), severity 1/2/3/4 = ${mix.s1}/${mix.s2}/${mix.s3}/${mix.s4}, ${mix.grouped} in a group`;
    console.log(backlog);

    // -- the plans, on the fresh backlog
    const planPageBefore = await explain(db, FIRST_PAGE_SQL);
    const planClaimBefore = await explain(db, CLAIM_SQL);

    // -- 3. first page, sequential
    const analyst = analysts[0];
    const pageAgent = agent();
    const pageUrl = `${sigdesk.url}/v1/review-queue?limit=${PAGE_LIMIT}`;
    for (let i = 0; i < 10; i++) await call(pageAgent, pageUrl, 'GET', analyst.key); // warm-up, not counted
    const pageLatencies: number[] = [];
    const pageErrors = { errors: new Map<string, number>(), firstError: new Map<string, string>() };
    let firstPage: Array<{ id: string }> = [];
    let nextCursor: string | null = null;
    console.log(`measuring: ${pages} sequential GET /v1/review-queue?limit=${PAGE_LIMIT} ...`);
    for (let i = 0; i < pages; i++) {
      const answer = await call(pageAgent, pageUrl, 'GET', analyst.key);
      pageLatencies.push(answer.ms);
      if (answer.status !== 200) {
        const outcome = String(answer.status);
        pageErrors.errors.set(outcome, (pageErrors.errors.get(outcome) ?? 0) + 1);
        if (!pageErrors.firstError.has(outcome)) pageErrors.firstError.set(outcome, answer.body.slice(0, 500));
      } else if (i === 0) {
        const body = JSON.parse(answer.body) as { items: Array<{ id: string }>; nextCursor: string | null };
        firstPage = body.items;
        nextCursor = body.nextCursor;
      }
    }
    const pageStats = summary(pageLatencies);
    const expectedFirst = expected.slice(0, PAGE_LIMIT).map((c) => c.id);
    const firstPageRight =
      firstPage.length === expectedFirst.length && firstPage.every((item, i) => item.id === expectedFirst[i]);
    // the second page through the cursor, once: it must continue exactly where the first ended
    let secondPageRight = false;
    if (nextCursor) {
      const answer = await call(pageAgent, `${pageUrl}&cursor=${encodeURIComponent(nextCursor)}`, 'GET', analyst.key);
      const items = answer.status === 200 ? (JSON.parse(answer.body) as { items: Array<{ id: string }> }).items : [];
      const expectedSecond = expected.slice(PAGE_LIMIT, 2 * PAGE_LIMIT).map((c) => c.id);
      secondPageRight =
        items.length === expectedSecond.length && items.every((item, i) => item.id === expectedSecond[i]);
    }

    // -- 4. claims, one analyst, sequential
    console.log(`measuring: ${sequentialClaims} sequential POST /v1/review-queue/claim ...`);
    const claimAgent = agent();
    const sequential = newTally();
    for (let i = 0; i < sequentialClaims; i++) await claimOnce(sigdesk.url, claimAgent, analyst, sequential);
    const sequentialStats = summary(sequential.latencies);
    const expectedClaims = expected.slice(0, sequential.claimed.length).map((c) => c.id);
    const claimOrderRight =
      sequential.claimed.length === sequentialClaims &&
      sequential.claimed.every((c, i) => c.caseId === expectedClaims[i]);

    const planClaimMiddle = await explain(db, CLAIM_SQL);

    // -- 5. claims, all analysts at once
    console.log(
      `measuring: ${analysts.length} analysts claiming concurrently for ${seconds} s (or until the queue is empty) ...`,
    );
    const concurrent = newTally();
    const agentsByAnalyst = analysts.map(() => agent());
    const until = performance.now() + seconds * 1000;
    t0 = performance.now();
    let emptiedAt: number | null = null;
    await Promise.all(
      analysts.map(async (a, i) => {
        while (performance.now() < until) {
          const outcome = await claimOnce(sigdesk.url, agentsByAnalyst[i], a, concurrent);
          if (outcome === 'empty') {
            emptiedAt ??= performance.now() - t0;
            return;
          }
        }
      }),
    );
    const concurrentSeconds = (performance.now() - t0) / 1000;
    const concurrentStats = summary(concurrent.latencies);

    // -- checks afterwards, in PostgreSQL
    const all = [...sequential.claimed, ...concurrent.claimed];
    const seen = new Map<string, number>();
    for (const c of all) seen.set(c.caseId, (seen.get(c.caseId) ?? 0) + 1);
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const wrongAnswer = all.filter((c) => c.status !== 'in_review' || c.assignedTo !== c.analyst).length;
    const inReview = (
      await db.query<{ id: string; assigned_to: string }>(
        `SELECT id, assigned_to FROM cases WHERE status = 'in_review'`,
      )
    ).rows;
    const assignedInDb = new Map(inReview.map((r) => [r.id, r.assigned_to]));
    const dbMismatch = all.filter((c) => assignedInDb.get(c.caseId) !== c.analyst).length;
    const [events] = (
      await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM case_events WHERE type = 'status_changed' AND to_status = 'in_review'`,
      )
    ).rows;
    // with SKIP LOCKED every claim takes the first case nobody holds: together they are the head of the queue
    const head = new Set(expected.slice(0, seen.size).map((c) => c.id));
    const outsideHead = [...seen.keys()].filter((id) => !head.has(id)).length;
    const concurrentHead = new Set(
      expected.slice(sequential.claimed.length, sequential.claimed.length + concurrent.claimed.length).map((c) => c.id),
    );
    const concurrentOutsideHead = concurrent.claimed.filter((c) => !concurrentHead.has(c.caseId)).length;
    const perAnalyst = analysts.map((a) => concurrent.claimed.filter((c) => c.analyst === a.id).length);

    const planPageAfter = await explain(db, FIRST_PAGE_SQL);
    const planClaimAfter = await explain(db, CLAIM_SQL);
    const [deadRows] = (
      await db.query<{ n_dead_tup: string; last_autovacuum: Date | null }>(
        `SELECT n_dead_tup, last_autovacuum FROM pg_stat_user_tables WHERE relname = 'cases'`,
      )
    ).rows;

    const concurrentClaims = concurrent.claimed.length;
    const concurrentErrors = [...concurrent.errors.values()].reduce((a, b) => a + b, 0);
    const sequentialErrors = [...sequential.errors.values()].reduce((a, b) => a + b, 0);
    const noDuplicates = duplicates === 0 && wrongAnswer === 0 && dbMismatch === 0;
    const lines = [
      '',
      `== review-queue: ${caseCount} queued cases, ${analysts.length} analysts`,
      machine,
      backlog,
      checkCopiedSql(),
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other work on the machine moves these figures a lot)`,
      '',
      `GET /v1/review-queue?limit=${PAGE_LIMIT} (first page, ${pageStats.n} sequential, after 10 not counted)`,
      `  latency p50 / p90 / p99    ${ms(pageStats.p50)} / ${ms(pageStats.p90)} / ${ms(pageStats.p99)}  ` +
        `(goal p99 < ${GOAL_MS} ms) ${verdict(pageStats.p99 < GOAL_MS)}`,
      `  latency max / mean         ${ms(pageStats.max)} / ${ms(pageStats.mean)}`,
      `  errors                     ${pageErrors.errors.size ? '' : 'none'}`,
      ...errorLines(pageErrors),
      `  first page = the first ${PAGE_LIMIT} cases by the queue rule ${verdict(firstPageRight)}; ` +
        `second page through nextCursor continues it ${verdict(secondPageRight)}`,
      '',
      `POST /v1/review-queue/claim, one analyst, ${sequentialClaims} sequential`,
      `  claimed                    ${sequential.claimed.length} (204 empty: ${sequential.empty}, errors: ${sequentialErrors})`,
      ...errorLines(sequential),
      `  latency p50 / p90 / p99    ${ms(sequentialStats.p50)} / ${ms(sequentialStats.p90)} / ${ms(sequentialStats.p99)}  ` +
        `(goal p99 < ${GOAL_MS} ms) ${verdict(sequentialStats.p99 < GOAL_MS)}`,
      `  latency max / mean         ${ms(sequentialStats.max)} / ${ms(sequentialStats.mean)}`,
      `  claims per second          ${(sequential.claimed.length / (sequential.latencies.reduce((a, b) => a + b, 0) / 1000)).toFixed(1)} (one at a time)`,
      `  claimed in queue order     ${verdict(claimOrderRight)}`,
      '',
      `POST /v1/review-queue/claim, ${analysts.length} analysts at once, ${seconds} s` +
        (emptiedAt !== null ? ` (queue empty after ${((emptiedAt as number) / 1000).toFixed(2)} s)` : ''),
      `  claimed                    ${concurrentClaims} in ${concurrentSeconds.toFixed(2)} s ` +
        `(204 empty: ${concurrent.empty}, errors: ${concurrentErrors})`,
      ...errorLines(concurrent),
      `  claims per second          ${(concurrentClaims / concurrentSeconds).toFixed(1)}`,
      `  latency p50 / p90 / p99    ${ms(concurrentStats.p50)} / ${ms(concurrentStats.p90)} / ${ms(concurrentStats.p99)}`,
      `  latency max / mean         ${ms(concurrentStats.max)} / ${ms(concurrentStats.mean)}`,
      `  per analyst                min ${Math.min(...perAnalyst)}, max ${Math.max(...perAnalyst)}`,
      `  no case handed out twice   ${all.length} claims, ${seen.size} distinct cases, ${duplicates} given twice; ` +
        `${wrongAnswer} answers not in_review/assigned to the caller; ${dbMismatch} not so in PostgreSQL ` +
        `${verdict(noDuplicates)}`,
      `  PostgreSQL                 ${inReview.length} cases in_review, ${events.n} status_changed→in_review events ` +
        `(claims: ${all.length}) ${verdict(inReview.length === all.length && Number(events.n) === all.length)}`,
      `  claimed = head of queue    ${outsideHead} of ${seen.size} claimed cases not among the first ${seen.size} ` +
        `${verdict(outsideHead === 0)}; concurrent claims outside their stretch of the queue: ${concurrentOutsideHead}`,
      '',
      'EXPLAIN (ANALYZE, BUFFERS), run directly on the database',
      `  ${planLine('first page, fresh backlog', planPageBefore)}`,
      `  ${planLine('first page, after claims', planPageAfter)}`,
      `  ${planLine('claim, fresh backlog', planClaimBefore)}`,
      `  ${planLine('claim, after sequential', planClaimMiddle)}`,
      `  ${planLine('claim, after all claims', planClaimAfter)}`,
      `  cases: ${deadRows?.n_dead_tup} dead tuples at the end (statistics, may lag) ` +
        `(last autovacuum ${deadRows?.last_autovacuum?.toISOString() ?? 'never'})`,
      '',
      'plan of the first page (fresh backlog):',
      ...planPageBefore.text.split('\n').map((l) => `  ${l}`),
      '',
      'plan of the claim (after all claims):',
      ...planClaimAfter.text.split('\n').map((l) => `  ${l}`),
    ];
    console.log(lines.join('\n'));
    console.log('');
    printProblems(sigdesk);
  } finally {
    console.log('cleaning up ...');
    for (const a of agents) a.destroy();
    await db.end().catch(() => undefined);
    await sigdesk.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
