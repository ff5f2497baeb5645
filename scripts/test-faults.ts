/**
 * `npm run test:faults`: sigdesk's API and worker (the compiled build, apart) on a PostgreSQL, a Redis and an S3
 * server of the suite's own, under a bounded load of a few clients, while the suite breaks one thing at a time:
 * PostgreSQL sessions, PostgreSQL itself, Redis (with and without its data), S3, the worker (mid-work and mid-build)
 * and the API (kill -9 mid-upload, SIGTERM). Per fault it checks what clients saw (2xx or 503 only, nothing hung past
 * 20 s), that the processes stayed up and recovered, and records throughput and p99; at the end it reconciles
 * everything accepted against PostgreSQL and S3. Prints one row per fault; exits 1 when any row fails.
 *
 * Run by `node -r ./bench/register.js scripts/test-faults.ts` (after `npm run build`: it runs dist/). Environment:
 * FAULTS_CLIENTS (default 8), FAULTS_THINK_MS (pause after each request of a client, default 250), FAULTS_ONLY=3,4
 * (those faults only), FAULTS_KEEP=1 (keep the temporary folder). Logs of every process, and every request with its
 * outcome (run.json), go to scripts/out/faults-<time>/.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { describeRun, envNumber, ensureBuild, freePort, ROOT, sleep } from '../bench/support/harness';
import { FAULTS, runFault, settleIntake } from './faults/faults';
import { Customer, Load } from './faults/load';
import { reconcile } from './faults/reconcile';
import { seedCleanCorpus, seedCustomer, seedKey, seedRelease, validatedChange } from './faults/seed';
import { now, Postgres, RedisServer, S3Server, SigdeskProcess } from './faults/services';
import { printTable, Row, rowPassed, Suite } from './faults/suite';

const CLIENTS = envNumber('FAULTS_CLIENTS', 8);
const THINK_MS = envNumber('FAULTS_THINK_MS', 250);
/** FAULTS_ONLY=3,4 runs those faults only (the baseline and the reconciliation always run). */
const ONLY = process.env.FAULTS_ONLY ? new Set(process.env.FAULTS_ONLY.split(',').map(Number)) : undefined;
const BASELINE_MS = 4_000;
const STANDARD_CUSTOMERS = 4;
/** Six premium incidents each: enough for the premium submissions of a run. */
const MSA_CUSTOMERS = 40;
/** The clean corpus the builds scan: 192 MiB, so that a build runs for seconds and can be interrupted. */
const CLEAN_CORPUS_FILES = 12;
const CLEAN_CORPUS_FILE_MIB = 16;

const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`clean-up: ${step.what} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the suite started ...`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const began = now();
  ensureBuild();
  console.log(`test:faults\n${describeRun()}`);

  const root = await mkdtemp(join(tmpdir(), 'sigdesk-faults-'));
  // the embedded PostgreSQL runs as the user postgres when the suite runs as root: it must pass through
  chmodSync(root, 0o711);
  cleanups.push({
    what: `remove ${root}`,
    run: () => (process.env.FAULTS_KEEP === '1' ? Promise.resolve() : rm(root, { recursive: true, force: true })),
  });
  const logDir = join(ROOT, 'scripts', 'out', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const dataDir = join(root, 'data');
  const apiTmp = join(root, 'tmp-api');
  const workerTmp = join(root, 'tmp-worker');
  for (const dir of [logDir, dataDir, apiTmp, workerTmp]) mkdirSync(dir, { recursive: true });

  const pg = new Postgres(join(root, 'pg'));
  const redis = new RedisServer(join(root, 'redis'), await freePort(), join(logDir, 'redis.log'));
  const s3 = new S3Server(join(root, 's3'), await freePort(), join(logDir, 's3.log'));
  cleanups.push({ what: 'stop PostgreSQL', run: () => pg.stop() });
  cleanups.push({ what: 'stop Redis', run: () => redis.close() });
  cleanups.push({ what: 'stop the S3 server', run: () => s3.kill() });
  await Promise.all([pg.start(), redis.start(), s3.start()]);
  console.log(`PostgreSQL on ${pg.port}, Redis on ${redis.port}, S3 on ${s3.port}; logs in ${logDir}`);

  const apiPort = await freePort();
  const adminKey = `sdk_adm_faults_${randomBytes(24).toString('base64url')}`;
  const redisPrefix = 'sigdesk';
  // one signing key for both processes, as a deployment gives it (each would otherwise make one in DATA_DIR)
  const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const common = (): Record<string, string> => ({
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redisPrefix,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    SIGDESK_BOOTSTRAP_ADMIN_KEY: adminKey,
    SIGDESK_SIGNING_KEY: signingKey,
    SIGDESK_EXPEDITED_WINDOW_SECONDS: '1',
    SIGDESK_BUILD_LEASE_SECONDS: '10',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const api = new SigdeskProcess(
    'api',
    () => ({ ...common(), PORT: String(apiPort), HOST: '127.0.0.1', TMPDIR: apiTmp }),
    join(logDir, 'api.log'),
  );
  const worker = new SigdeskProcess('worker', () => ({ ...common(), TMPDIR: workerTmp }), join(logDir, 'worker.log'));
  // the processes first: the queues' connections and the database pool are theirs to close before the servers go
  cleanups.push({ what: 'stop the worker', run: () => worker.close() });
  cleanups.push({ what: 'stop the API', run: () => api.close() });
  await Promise.all([api.start(), worker.start()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const db = new Pool({
    connectionString: pg.url,
    max: 4,
    application_name: 'fault-suite',
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000,
  });
  db.on('error', () => undefined);
  cleanups.push({ what: "end the suite's database pool", run: () => db.end() });

  await seedRelease(apiUrl, adminKey, 100);
  const customers: Customer[] = await Promise.all([
    ...Array.from({ length: STANDARD_CUSTOMERS }, (_, i) =>
      seedCustomer(apiUrl, adminKey, `Standard ${i + 1}`, 'standard'),
    ),
    ...Array.from({ length: MSA_CUSTOMERS }, (_, i) =>
      seedCustomer(apiUrl, adminKey, `MSA Start ${i + 1}`, 'msa_start'),
    ),
  ]);
  const buildCustomer = await seedCustomer(apiUrl, adminKey, 'Build customer', 'msa_start');
  const authorKey = await seedKey(apiUrl, adminKey, 'analyst', 'author');
  const reviewerKey = await seedKey(apiUrl, adminKey, 'analyst', 'reviewer');
  const buildChange = await validatedChange(apiUrl, buildCustomer, authorKey);
  // after the change's validation, which stays quick: its build scans this corpus
  await seedCleanCorpus(apiUrl, adminKey, CLEAN_CORPUS_FILES, CLEAN_CORPUS_FILE_MIB);
  console.log(
    `seeded: release 100, ${STANDARD_CUSTOMERS} standard and ${MSA_CUSTOMERS} MSA Start customers, ` +
      `a validated change (${buildChange.ruleName}), a clean corpus of ` +
      `${CLEAN_CORPUS_FILES * CLEAN_CORPUS_FILE_MIB} MiB; ${((now() - began) / 1000).toFixed(1)} s so far`,
  );

  const load = new Load({ url: () => apiUrl, clients: CLIENTS, thinkMs: THINK_MS, sampleBytes: 10 * 1024, customers });
  cleanups.push({ what: 'stop the load', run: () => load.stop() });
  const suite: Suite = {
    root,
    logDir,
    dataDir,
    apiTmp,
    workerTmp,
    pg,
    redis,
    redisPrefix,
    s3,
    api,
    worker,
    apiUrl,
    db,
    adminKey,
    authorKey,
    reviewerKey,
    customers,
    buildCustomer,
    buildChange,
    load,
    apiDown: [],
    spoolAtApiKill: [],
  };

  console.log(`\nload: ${CLIENTS} clients, 10 KiB samples, ${THINK_MS} ms between requests of a client`);
  const baseline: Row = { index: 0, name: 'no fault (baseline)', from: now(), to: 0, problems: [], notes: [] };
  load.start();
  await sleep(BASELINE_MS);
  await settleIntake(suite, baseline);
  baseline.to = now();
  const rows: Row[] = [baseline];
  for (const [i, fault] of FAULTS.entries()) {
    if (!ONLY || ONLY.has(i + 1)) rows.push(await runFault(suite, i + 1, fault));
  }
  await load.stop();

  const reconciliation = await reconcile(suite, rows);
  rows.push(reconciliation);

  // everything that happened, on the run's clock (ms since the start), for a closer look at a failed row
  const at = (ms: number) => (Number.isFinite(ms) ? Math.round(ms - began) : null);
  writeFileSync(
    join(logDir, 'run.json'),
    JSON.stringify({
      rows: rows.map((r) => ({ index: r.index, name: r.name, from: at(r.from), to: at(r.to) })),
      apiDown: suite.apiDown.map((w) => ({ how: w.how, from: at(w.from), to: at(w.to) })),
      exits: [api, worker].flatMap((p) => p.exits.map((e) => ({ role: p.role, ...e, at: at(e.at) }))),
      requests: load.records.map(({ customer, ...record }) => ({
        ...record,
        customer: customer?.name,
        startedAt: at(record.startedAt),
        endedAt: at(record.endedAt),
      })),
    }),
  );
  console.log('');
  printTable(suite, rows);
  for (const proc of [api, worker]) {
    if (proc.errors.size) {
      const errors = [...proc.errors].sort((a, b) => b[1] - a[1]);
      const total = errors.reduce((sum, [, count]) => sum + count, 0);
      console.log(`\n${proc.role}: ${total} errors in ${proc.role}.log; the most frequent:`);
      for (const [message, count] of errors.slice(0, 3)) console.log(`  ${count} × ${message}`);
    }
  }
  const failed = rows.filter((row) => !rowPassed(suite, row));
  console.log(
    `\n${failed.length ? `FAILED: ${failed.length} of ${rows.length} rows` : `PASSED: all ${rows.length} rows`} ` +
      `in ${((now() - began) / 1000).toFixed(0)} s (logs: ${logDir})`,
  );
  return failed.length ? 1 : 0;
}

void main()
  .catch((error: unknown) => {
    console.error(`test:faults: ${(error as Error).stack ?? String(error)}`);
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
