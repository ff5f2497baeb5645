/**
 * What the benchmarks share: a whole sigdesk (API + worker, the compiled build) in a child process on its own
 * database, queues (a Redis key prefix of its own, or BullMQ's tables in that database) and S3 server, or fully
 * embedded in a data folder of its own; seeded through the HTTP API; a streaming multipart body; RSS sampling of
 * the child and of a process tree; and the clean-up of everything afterwards.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { Client } from 'pg';

export const ROOT = resolve(__dirname, '..', '..');
export const MiB = 1024 * 1024;

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same data in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAIN = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');

// The AWS SDK warns once per process that its releases after January 2027 need Node 22: known, and noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface LogProblem {
  level: number;
  line: string;
}

export interface Customer {
  organizationId: string;
  key: string;
}

/** Where the child's BullMQ queues keep their jobs. */
export type QueueBackendKind = 'redis' | 'postgres';

/** `BENCH_QUEUES` (`redis` or `postgres`), else `redis`: what the benchmarks measured before the PostgreSQL backend. */
export function benchQueues(): QueueBackendKind {
  const raw = process.env.BENCH_QUEUES;
  if (raw === undefined || raw === '') return 'redis';
  if (raw !== 'redis' && raw !== 'postgres') throw new Error(`BENCH_QUEUES must be redis or postgres, not "${raw}"`);
  return raw;
}

export interface Sigdesk {
  url: string;
  port: number;
  pid: number;
  adminKey: string;
  customer: Customer;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; region: string };
  /** Of the benchmark's database, or of the `sigdesk` database of the embedded server (its superuser). */
  databaseUrl: string;
  queues: QueueBackendKind;
  /** With the queues on Redis: the `REDIS_PREFIX` of the run (BullMQ's keys), to add a job as a scheduler would. */
  redisPrefix?: string;
  /** Set when sigdesk runs embedded (no DATABASE_URL, no S3_ENDPOINT): its DATA_DIR. */
  dataDir?: string;
  /** Pid of the embedded PostgreSQL's postmaster (first line of DATA_DIR/postgres/postmaster.pid). */
  postgresPid?: number;
  /** What the child printed under "sigdesk is ready", by label ("queues", "PostgreSQL", "S3", ...). */
  summary: Record<string, string>;
  /**
   * How long the start took, in ms from the spawn: to the "sigdesk is ready" line on stdout, to the first 200 of
   * `GET /health/ready` (polled every 25 ms), and to the lines the start logs before the application exists (with
   * `LOG_LEVEL=info`: "initialising the embedded PostgreSQL ...", "embedded PostgreSQL ready ...").
   */
  startup: { readyLineMs: number; healthReadyMs: number; events: Array<{ ms: number; msg: string }> };
  /** ms from SIGTERM to the child's exit, once `close()` stopped it. */
  stopMs?: number;
  logFile: string;
  /** Lines the server logged at warn or above (LOG_LEVEL=warn), and anything it wrote that is not a JSON log line. */
  problems: LogProblem[];
  /** Set when the child process ended by itself. */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  close(): Promise<void>;
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return value;
}

/** Builds the project (tsc + tsc-alias) when dist/ is missing, or always with BENCH_BUILD=1. */
export function ensureBuild(): void {
  if (existsSync(MAIN) && process.env.BENCH_BUILD !== '1') return;
  console.log('building (npm run build) ...');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`);
}

/** One line about where and on what the figures were taken; print it with every result. */
export function describeRun(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { cwd: ROOT, encoding: 'utf8' });
    if (dirty.trim()) commit += ' (+ uncommitted changes in apps/ or libs/)';
  } catch {
    // not a git checkout
  }
  const built = existsSync(MAIN) ? statSync(MAIN).mtime.toISOString() : 'not built';
  const cpu = cpus();
  return [
    `${new Date().toISOString()}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ` +
      `${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    `commit ${commit}, dist/ built ${built}`,
  ].join('\n');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

async function postgresAdmin<T>(action: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

/** Runs one query against the benchmark's database (for checks after a run, never during the measurement). */
export async function queryDatabase<T extends object>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Postmaster of a cluster folder: the pid and port of `postmaster.pid`, while that process lives. */
export function readPostmaster(cluster: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(`/proc/${pid}`)) return undefined;
  return { pid, port };
}

async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}

export async function jsonRequest<T = any>(
  url: string,
  method: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T };
}

async function expectCreated<T = any>(what: string, call: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await call;
  if (status !== 201) throw new Error(`seed ${what}: HTTP ${status} ${JSON.stringify(body)}`);
  return body;
}

/** Release 100 (current), an organisation with a standard contract, and a customer API key. */
async function seed(url: string, adminKey: string): Promise<Customer> {
  const year = new Date().getUTCFullYear();
  await expectCreated(
    'release',
    jsonRequest(`${url}/v1/admin/database-releases`, 'POST', adminKey, {
      version: 100,
      releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    }),
  );
  const org = await expectCreated<{ id: string }>(
    'organization',
    jsonRequest(`${url}/v1/admin/organizations`, 'POST', adminKey, {
      name: 'Bench Industries',
      timezone: 'Europe/Madrid',
      country: 'ES',
    }),
  );
  await expectCreated(
    'contract',
    jsonRequest(`${url}/v1/admin/organizations/${org.id}/contracts`, 'POST', adminKey, {
      tier: 'standard',
      startsOn: `${year - 1}-01-01`,
      endsOn: `${year + 1}-12-31`,
    }),
  );
  const key = await expectCreated<{ key: string }>(
    'api key',
    jsonRequest(`${url}/v1/admin/api-keys`, 'POST', adminKey, {
      role: 'customer',
      organizationId: org.id,
      name: 'bench',
    }),
  );
  return { organizationId: org.id, key: key.key };
}

/** The body of a call that must succeed (any 2xx); else an error saying what failed and how. */
export async function expect2xx<T = any>(what: string, call: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await call;
  if (status < 200 || status > 299) throw new Error(`${what}: HTTP ${status} ${JSON.stringify(body).slice(0, 1000)}`);
  return body;
}

/**
 * The S3 server in a process of its own (support/s3-server-process.ts), as a real one is: in this process it would
 * share its thread with the client sending the uploads the benchmarks time.
 */
async function startS3ServerProcess(
  directory: string,
  keys: { accessKeyId: string; secretAccessKey: string },
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'bench', 'register.js'), join(ROOT, 'bench', 'support', 's3-server-process.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_S3_OPTIONS: JSON.stringify({ directory, ...keys }) },
    },
  );
  const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      out += text;
      const listening = /listening (\S+)/.exec(out);
      if (listening) resolveEndpoint(listening[1]);
    });
    child.once('exit', (code) => reject(new Error(`the S3 server process exited (code ${code}) before listening`)));
    child.once('error', reject);
  });
  return {
    endpoint,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 5_000))) child.kill('SIGKILL');
    },
  };
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

export interface StartOptions {
  /** Set in the child's environment after the harness's own (so `LOG_LEVEL` or `TMPDIR` can be overridden). */
  env?: Record<string, string>;
  /**
   * Where the queues run. `redis`: `REDIS_URL` (`BENCH_REDIS_URL`, default redis://127.0.0.1:6379) and a
   * `REDIS_PREFIX` of the run's own, whose keys are deleted afterwards. `postgres`: no `REDIS_URL`, so BullMQ keeps
   * its jobs in sigdesk's PostgreSQL (schema `bullmq`, dropped with the database). Default: `benchQueues()`.
   */
  queues?: QueueBackendKind;
  /**
   * Zero setup: no `DATABASE_URL` and no `S3_ENDPOINT`, so sigdesk starts its embedded PostgreSQL (in
   * `DATA_DIR/postgres`) and S3 (in `DATA_DIR/s3`, port and keys in `DATA_DIR/s3.json`) itself, and the harness starts neither an S3 server nor a
   * database. `dataDir`: the DATA_DIR to use (kept afterwards, for a second start on it); without it a temporary
   * folder, removed afterwards.
   */
  embedded?: boolean | { dataDir: string };
  /** Seed release 100, an organisation and a customer key once ready (default true; false leaves `customer` empty). */
  seed?: boolean;
}

/**
 * Starts the S3 server (in this process), creates the database, spawns `node dist/apps/api/src/main.js
 * --with-worker`, waits for /health/ready and seeds a customer. `close()` undoes all of it; it also runs on
 * Ctrl-C.
 */
export async function startSigdesk(name: string, options: StartOptions = {}): Promise<Sigdesk> {
  ensureBuild();
  const queues = options.queues ?? benchQueues();
  const embedded = Boolean(options.embedded);
  const id = randomBytes(4).toString('hex');
  const database = `sigdesk_bench_${id}`;
  const redisPrefix = `sigdesk-bench-${id}`;
  const adminKey = `sdk_adm_bench_${randomBytes(24).toString('base64url')}`;
  const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const step of cleanups.reverse()) {
      try {
        await step.run();
      } catch (error) {
        console.error(`clean-up: ${step.what} failed: ${(error as Error).message}`);
      }
    }
  };
  const onSignal = () => {
    console.error('\ninterrupted: cleaning up ...');
    void close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  cleanups.push({
    what: 'signal handlers',
    run: async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  });

  try {
    // what the child runs on: an empty value counts as unset for sigdesk, and keeps a .env file from setting it
    const runsOn: Record<string, string> = {};
    let s3: Sigdesk['s3'];
    let databaseUrl = '';
    let dataDir: string | undefined;
    if (embedded) {
      if (typeof options.embedded === 'object') {
        dataDir = options.embedded.dataDir;
      } else {
        const made = await mkdtemp(join(tmpdir(), 'sigdesk-bench-data-'));
        dataDir = made;
        cleanups.push({ what: `remove ${made}`, run: () => rm(made, { recursive: true, force: true }) });
      }
      const cluster = join(dataDir, 'postgres');
      // sigdesk stops the server it started; one left behind (sigdesk killed) is stopped here
      cleanups.push({
        what: `stop the embedded PostgreSQL of ${dataDir}`,
        run: async () => {
          const left = readPostmaster(cluster);
          if (!left) return;
          console.error(`the embedded PostgreSQL (pid ${left.pid}) outlived sigdesk: stopping it`);
          process.kill(left.pid, 'SIGINT');
          for (let waited = 0; existsSync(`/proc/${left.pid}`) && waited < 30_000; waited += 100) await sleep(100);
        },
      });
      Object.assign(runsOn, {
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        S3_ENDPOINT: '',
        S3_ACCESS_KEY_ID: '',
        S3_SECRET_ACCESS_KEY: '',
      });
      // its port and keys are in DATA_DIR/s3.json once it has started (read below)
      s3 = { endpoint: '', bucket: 'sigdesk', accessKeyId: '', secretAccessKey: '', region: 'us-east-1' };
    } else {
      const s3Dir = await mkdtemp(join(tmpdir(), 'sigdesk-bench-s3-'));
      cleanups.push({ what: `remove ${s3Dir}`, run: () => rm(s3Dir, { recursive: true, force: true }) });
      const keys = { accessKeyId: `bench-${id}`, secretAccessKey: randomBytes(32).toString('base64url') };
      const s3Server = await startS3ServerProcess(s3Dir, keys);
      cleanups.push({ what: 'stop the S3 server', run: () => s3Server.close() });
      s3 = { endpoint: s3Server.endpoint, bucket: 'bench', ...keys, region: 'us-east-1' };

      await postgresAdmin((client) => client.query(`CREATE DATABASE ${database}`));
      cleanups.push({
        what: `drop database ${database}`,
        run: () => postgresAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)),
      });
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${database}`;
      databaseUrl = url.toString();
      Object.assign(runsOn, {
        DATABASE_URL: databaseUrl,
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: s3.bucket,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      });
    }
    if (queues === 'redis') {
      cleanups.push({ what: `delete Redis keys ${redisPrefix}:*`, run: () => deleteRedisKeys(redisPrefix) });
      Object.assign(runsOn, { REDIS_URL, REDIS_PREFIX: redisPrefix });
    } else {
      runsOn.REDIS_URL = '';
    }

    const port = await freePort();
    const outDir = join(ROOT, 'bench', 'out');
    mkdirSync(outDir, { recursive: true });
    const logFile = join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const log = createWriteStream(logFile);
    const spawnedAt = performance.now();
    const spawnedAtEpoch = Date.now();
    const child = spawn(process.execPath, [MAIN, '--with-worker'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        ...runsOn,
        SIGDESK_BOOTSTRAP_ADMIN_KEY: adminKey,
        ...options.env,
      },
    });
    const problems: LogProblem[] = [];
    const summary: Record<string, string> = {};
    const startup: Sigdesk['startup'] = { readyLineMs: NaN, healthReadyMs: NaN, events: [] };
    // the summary the process prints on stdout once ready: "sigdesk is ready", then indented rows, then a blank line
    let inSummary = false;
    const collect = (stream: Readable, stdout: boolean) => {
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        log.write(chunk);
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (stdout && line === 'sigdesk is ready') {
            inSummary = true;
            if (Number.isNaN(startup.readyLineMs)) startup.readyLineMs = performance.now() - spawnedAt;
            continue;
          }
          if (stdout && inSummary) {
            const row = /^ {2}(\S.*?) {2,}(.*)$/.exec(line);
            if (row) summary[row[1]] = row[2];
            if (line.startsWith('  ')) continue;
            inSummary = false;
          }
          if (!line.trim()) continue;
          let level = 100; // not a pino line: worth a look
          try {
            const parsed = JSON.parse(line) as { level?: number; time?: number; context?: string; msg?: string };
            level = parsed.level ?? 100;
            // the start's own logger, before the application's exists
            if (parsed.context === 'sigdesk' && parsed.time && parsed.msg && startup.events.length < 100) {
              startup.events.push({ ms: parsed.time - spawnedAtEpoch, msg: parsed.msg });
            }
          } catch {
            // plain text (a crash, a warning from Node)
          }
          if (level >= 40 && problems.length < 1000) problems.push({ level, line });
        }
      });
    };
    collect(child.stdout!, true);
    collect(child.stderr!, false);

    const handle: Sigdesk = {
      url: `http://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      adminKey,
      customer: { organizationId: '', key: '' },
      s3,
      databaseUrl,
      queues,
      redisPrefix: queues === 'redis' ? redisPrefix : undefined,
      dataDir,
      summary,
      startup,
      logFile,
      problems,
      exited: null,
      close,
    };
    child.once('exit', (code, signal) => {
      handle.exited = { code, signal };
    });
    cleanups.push({ what: 'close the log file', run: () => new Promise((done) => log.end(done)) });
    cleanups.push({
      what: 'stop sigdesk',
      run: async () => {
        if (handle.exited) return;
        const stopping = performance.now();
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 15_000))) {
          console.error('sigdesk did not stop within 15 s of SIGTERM: killing it');
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
          return;
        }
        handle.stopMs = performance.now() - stopping;
      },
    });

    // ready: /health/ready answers 200 and the summary is out (it follows within milliseconds)
    for (;;) {
      if (handle.exited) {
        throw new Error(
          `sigdesk exited while starting (${JSON.stringify(handle.exited)}):\n${problems.map((p) => p.line).join('\n')}`,
        );
      }
      if (performance.now() - spawnedAt > 60_000) {
        throw new Error('sigdesk was not ready within 60 s (GET /health/ready and "sigdesk is ready" on stdout)');
      }
      if (Number.isNaN(startup.healthReadyMs)) {
        const ready = await fetch(`${handle.url}/health/ready`)
          .then((response) => response.status)
          .catch(() => 0);
        if (ready === 200) startup.healthReadyMs = performance.now() - spawnedAt;
      }
      if (!Number.isNaN(startup.healthReadyMs) && !Number.isNaN(startup.readyLineMs) && !inSummary) break;
      await sleep(25);
    }

    // that it runs on what was asked for (a .env file, or a change of sigdesk, could make it otherwise)
    const expected = {
      queues: queues === 'redis' ? 'on Redis' : 'on PostgreSQL',
      embedded: embedded ? 'embedded' : '',
    };
    const mismatch = [
      !summary.queues?.startsWith(expected.queues) && `queues "${summary.queues}" (wanted ${expected.queues})`,
      embedded !== Boolean(summary.PostgreSQL?.startsWith('embedded')) && `PostgreSQL "${summary.PostgreSQL}"`,
      embedded !== Boolean(summary.S3?.startsWith('embedded')) && `S3 "${summary.S3}"`,
    ].filter(Boolean);
    if (mismatch.length) throw new Error(`sigdesk does not run on what the benchmark set: ${mismatch.join(', ')}`);

    if (dataDir) {
      const postmaster = readPostmaster(join(dataDir, 'postgres'));
      if (!postmaster) throw new Error(`no running postmaster in ${dataDir}/postgres`);
      const credentials = JSON.parse(readFileSync(join(dataDir, 'postgres.json'), 'utf8')) as {
        user: string;
        password: string;
      };
      const url = new URL(`postgres://127.0.0.1:${postmaster.port}/sigdesk`);
      url.username = credentials.user;
      url.password = credentials.password;
      handle.databaseUrl = url.toString();
      handle.postgresPid = postmaster.pid;
      const embeddedS3 = JSON.parse(readFileSync(join(dataDir, 's3.json'), 'utf8')) as {
        port: number;
        accessKeyId: string;
        secretAccessKey: string;
      };
      Object.assign(handle.s3, {
        endpoint: `http://127.0.0.1:${embeddedS3.port}`,
        accessKeyId: embeddedS3.accessKeyId,
        secretAccessKey: embeddedS3.secretAccessKey,
      });
    }
    if (options.seed ?? true) handle.customer = await seed(handle.url, adminKey);
    return handle;
  } catch (error) {
    await close();
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// memory of the child process

export interface ProcStatus {
  rssKiB: number;
  hwmKiB: number;
}

export function readProcStatus(pid: number): ProcStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

export interface TreeMemory {
  processes: number;
  /** Sum of VmRSS: pages shared between the processes (PostgreSQL's shared buffers) count once per process. */
  rssKiB: number;
  /** Sum of Pss (/proc/<pid>/smaps_rollup): each shared page split between the processes that map it. */
  pssKiB: number;
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** Memory of a process and all its descendants (found through /proc); processes that end meanwhile are skipped. */
export function processTreeMemory(root: number): TreeMemory {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent > 0) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const total: TreeMemory = { processes: 0, rssKiB: 0, pssKiB: 0 };
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop()!;
    try {
      const rss = readProcStatus(pid).rssKiB;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? NaN);
      total.processes++;
      total.rssKiB += rss;
      total.pssKiB += pss;
    } catch {
      continue; // gone
    }
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, same user); false when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples VmRSS of `pid` every `intervalMs` until stopped; reports the highest sample, overall and per phase
 * (`mark()` starts the next phase).
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly peaks: number[] = [0];
  private readonly samples: Array<{ ms: number; rssKiB: number }> = [];
  private started = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.started = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Ends the current phase (its last sample is taken now) and starts the next one. */
  mark(): void {
    this.sample();
    this.peaks.push(0);
  }

  stop(): {
    peakKiB: number;
    phasePeaksKiB: number[];
    samples: number;
    /** Every sample: ms since start() and VmRSS. */
    timeline: Array<{ ms: number; rssKiB: number }>;
  } {
    clearInterval(this.timer);
    this.sample();
    return {
      peakKiB: Math.max(...this.peaks),
      phasePeaksKiB: [...this.peaks],
      samples: this.samples.length,
      timeline: [...this.samples],
    };
  }

  private sample(): void {
    try {
      const { rssKiB } = readProcStatus(this.pid);
      this.samples.push({ ms: performance.now() - this.started, rssKiB });
      const phase = this.peaks.length - 1;
      if (rssKiB > this.peaks[phase]) this.peaks[phase] = rssKiB;
    } catch {
      // the process is gone: the caller notices by other means
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// processor time of the machine: this benchmark's against other work

export interface CpuUse {
  seconds: number;
  /** Processor time per second of wall time (1 = one core busy), from /proc/stat. */
  busy: number;
  /** This process and its descendants (sigdesk, its embedded PostgreSQL), and the PostgreSQL backends of its database. */
  ours: number;
  /** Redis, and the PostgreSQL server's processes of no database (WAL writer, checkpointer, ...). */
  servers: number;
  /** Everything else (other work on the machine): busy − ours − servers. */
  other: number;
  /** The busiest other processes that lived through the measurement (short-lived ones count only in `other`). */
  busiestOther: Array<{ command: string; cores: number }>;
}

type CpuClass = 'ours' | 'servers' | 'other';

/** Processor time of one process so far, in clock ticks (utime + stime), and its parent. */
function processTicks(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3] - cpu[4], total }; // idle, iowait
}

/**
 * What the machine's processors did during a measurement, split into this benchmark, the PostgreSQL and Redis
 * servers, and other work (a test run elsewhere distorts the figures: this says by how much). Samples /proc every
 * second; clock ticks of 10 ms (USER_HZ 100).
 */
export class CpuAccount {
  private readonly seen = new Map<number, { first: number; last: number; cls: CpuClass; command: string }>();
  private timer: NodeJS.Timeout | undefined;
  private startMachine = machineTicks();
  private started = 0;

  constructor(private readonly database?: string) {}

  start(): this {
    this.started = performance.now();
    this.startMachine = machineTicks();
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 1000);
    return this;
  }

  stop(): CpuUse {
    clearInterval(this.timer);
    this.sample(false);
    const end = machineTicks();
    const seconds = (performance.now() - this.started) / 1000;
    const perSecond = (ticks: number) => ticks / 100 / seconds;
    const sums: Record<CpuClass, number> = { ours: 0, servers: 0, other: 0 };
    const others: Array<{ command: string; cores: number }> = [];
    for (const entry of this.seen.values()) {
      sums[entry.cls] += entry.last - entry.first;
      if (entry.cls === 'other' && entry.last > entry.first) {
        others.push({ command: entry.command, cores: perSecond(entry.last - entry.first) });
      }
    }
    // /proc/stat counts in USER_HZ of all processors together
    const busy = ((end.busy - this.startMachine.busy) / (end.total - this.startMachine.total)) * cpus().length;
    const ours = perSecond(sums.ours);
    const servers = perSecond(sums.servers);
    return {
      seconds,
      busy,
      ours,
      servers,
      other: Math.max(0, busy - ours - servers),
      busiestOther: others.sort((a, b) => b.cores - a.cores).slice(0, 3),
    };
  }

  private classify(pid: number, parents: Map<number, number>, command: string): CpuClass {
    for (let at = pid, hops = 0; at > 1 && hops < 64; at = parents.get(at) ?? 0, hops++) {
      if (at === process.pid) return 'ours';
    }
    // a PostgreSQL backend: "postgres: [cluster: ]user database host(port) state"
    const backend = /^postgres: (?:.*?: )?\S+ (\S+) (?:\d+\.\d+\.\d+\.\d+|\[local\]|::1)/.exec(command);
    if (backend) return backend[1] === this.database ? 'ours' : 'other';
    if (command.startsWith('postgres') || command.includes('/bin/postgres') || command.startsWith('redis-server')) {
      return 'servers';
    }
    return 'other';
  }

  private sample(first: boolean): void {
    const ticks = new Map<number, number>();
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const found = processTicks(pid);
      if (!found) continue;
      ticks.set(pid, found.ticks);
      parents.set(pid, found.parent);
    }
    for (const [pid, now] of ticks) {
      const known = this.seen.get(pid);
      if (known) {
        known.last = now;
        continue;
      }
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue;
      }
      // a process that appeared during the measurement spent all its time in it
      this.seen.set(pid, {
        first: first ? now : 0,
        last: now,
        cls: this.classify(pid, parents, command),
        command: command.slice(0, 80),
      });
    }
  }
}

/** One line about a CpuUse. */
export function cpuLine(use: CpuUse): string {
  const cores = (value: number) => value.toFixed(2);
  const busiest = use.busiestOther
    .filter((p) => p.cores >= 0.05)
    .map((p) => `${p.command.split(' ').slice(0, 3).join(' ')} ${cores(p.cores)}`)
    .join('; ');
  return (
    `cores busy ${cores(use.busy)} of ${cpus().length}: this benchmark ${cores(use.ours)}, PostgreSQL/Redis ` +
    `server processes ${cores(use.servers)}, other work ${cores(use.other)}${busiest ? ` (${busiest})` : ''}`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// multipart bodies

export const SUBMISSION_FIELDS: Record<string, string> = {
  kind: 'false_negative',
  severity: '2',
  product: 'Endpoint Security for Business',
  productVersion: '12.4.0.467',
  databaseVersion: '100',
  description: 'Benchmark submission: the product does not detect this sample.',
};

function multipartHead(boundary: string, fields: Record<string, string>, fileField: string, fileName: string) {
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${fileName}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  return Buffer.from(head, 'utf8');
}

export interface MultipartBody {
  contentType: string;
  length: number;
}

/** A multipart body read from disk as it is sent: the fields, the file part streamed, the closing boundary. */
export function multipartFromFile(
  fields: Record<string, string>,
  file: { field: string; name: string; path: string; size: number },
): MultipartBody & { stream: Readable } {
  const boundary = `----sigdesk-bench-${randomBytes(12).toString('hex')}`;
  const head = multipartHead(boundary, fields, file.field, file.name);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* parts() {
    yield head;
    yield* createReadStream(file.path, { highWaterMark: MiB }) as AsyncIterable<Buffer>;
    yield tail;
  }
  return {
    stream: Readable.from(parts(), { objectMode: false }),
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + file.size + tail.length,
  };
}

/** A small multipart body in memory. */
export function multipartFromBuffer(
  fields: Record<string, string>,
  file: { field: string; name: string; content: Buffer },
): MultipartBody & { buffer: Buffer } {
  const boundary = `----sigdesk-bench-${randomBytes(12).toString('hex')}`;
  const buffer = Buffer.concat([
    multipartHead(boundary, fields, file.field, file.name),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
  return { buffer, contentType: `multipart/form-data; boundary=${boundary}`, length: buffer.length };
}

export interface PostResult {
  status: number;
  body: string;
  /** ms from the start until the whole request body was handed to the kernel. */
  sentMs: number;
  /** ms from the start until the whole response was read. */
  doneMs: number;
}

/** POSTs a body (a stream or a buffer) with a Content-Length; resolves when the response has been read. */
export function post(
  url: string,
  headers: Record<string, string>,
  body: Readable | Buffer,
  length: number,
  options: { agent?: http.Agent; onSent?: () => void } = {},
): Promise<PostResult> {
  const start = performance.now();
  let sentMs = NaN;
  return new Promise((resolvePost, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent: options.agent,
      headers: { ...headers, 'content-length': String(length) },
    });
    request.once('error', reject);
    request.once('finish', () => {
      sentMs = performance.now() - start;
      options.onSent?.();
    });
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () => {
        resolvePost({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          sentMs,
          doneMs: performance.now() - start,
        });
      });
    });
    if (Buffer.isBuffer(body)) {
      request.end(body);
    } else {
      body.once('error', (error) => request.destroy(error));
      body.pipe(request);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// printing

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

export function printProblems(sigdesk: Sigdesk): void {
  const { problems } = sigdesk;
  if (sigdesk.exited) console.log(`!! sigdesk exited during the benchmark: ${JSON.stringify(sigdesk.exited)}`);
  if (!problems.length) {
    console.log(`server log: no warnings or errors (${sigdesk.logFile})`);
    return;
  }
  console.log(`server log: ${problems.length} line(s) at warn or above (all in ${sigdesk.logFile}); the first ones:`);
  for (const problem of problems.slice(0, 10)) console.log(`  ${problem.line.slice(0, 600)}`);
}
