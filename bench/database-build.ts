/**
 * Database builds under a realistic signature database: how long an expedited build takes from the approval of a
 * change to a stored release with 10,000 rules, a 1 GiB clean corpus and a regression collection of 10,000 files
 * (goal: under 60 s), the time of each stage of the proof (ContentProver: compiling, case samples, clean corpus,
 * regression), whether the build compiled its candidate again or reused the validation's compiled ruleset, how fast
 * its clean-corpus stage scans compared with @litko/yara-x used directly on the same files and rules (goal: 80 % of
 * it or more), and how the build time grows from 1,000 to 10,000 to 30,000 rules.
 *
 * YARA-X runs in child processes of the server, one per compiled ruleset (process title `sigdesk-yara-engine`): the
 * script samples each child's CPU (utime + stime of /proc/<pid>/stat) and RSS every 100 ms; an engine process that
 * the build started means a ruleset compiled again. Scan results are remembered per (rules, file) in the server, so
 * a build of exactly the validated candidate scans nothing again: part 2 then compares the validation's scans.
 *
 * Measured 2026-11-30 (2 cores, AMD EPYC; load average 1.00 at the start; bench/README.md has a second run at load
 * 5): approval → stored 3.24 s (1.05 s window + queue, 1.31 s build: content 0.09, compiling 0.02, case samples
 * 0.04, clean corpus 0.23, regression 0.66, artifact 0.25, store 0.76 s), no engine process started and no ruleset
 * compiled by the build (the validation's two, about 570 MiB each, reused; 0.01 s of engine CPU in its corpus
 * stage). Validation, cold cache: 209.8 s (compiling 11.1, case samples 0.1, clean corpus 50.4, regression 147.7 s);
 * its engines scanned the corpus in 28.6 s of processor time (37.5 MB/s per CPU second) and 34.1 s of wall time in
 * YARA-X (31.5 MB/s = 97 % of bare scanFile's 32.4 MB/s); its cold corpus stage 21.3 MB/s = 66 % of bare.
 *
 * The rules are seeded as base rule revisions (`rule_revisions` with `base = true`), the content of a channel
 * without a `signature_contents` row; the regression files go to S3 under `regression-corpus/<sha[0:2]>/<sha>` and
 * into `regression_corpus_files`, a fifth of them carrying the strings of a generated rule so that the parent
 * version detects them.
 *
 *   BENCH_GROWTH_SIZES=none node -r ./bench/register.js bench/database-build.ts   # parts 1 and 2 (about 9 min)
 *   node -r ./bench/register.js bench/database-build.ts                           # with part 3
 *   BENCH_RULES=500 BENCH_CORPUS_MIB=32 BENCH_REGRESSION_FILES=500 BENCH_GROWTH_SIZES=none \
 *     node -r ./bench/register.js bench/database-build.ts            # a quick try (under a minute)
 *
 * Environment: BENCH_RULES (default 10000), BENCH_CORPUS_MIB (default 1024), BENCH_REGRESSION_FILES (regression
 * collection of part 1, default 10000; part 3 has none), BENCH_GROWTH_SIZES (default 1000,10000,30000; `none`
 * skips part 3), BENCH_GROWTH_CORPUS_MIB (default 64), BENCH_BARE_PASSES (default 2), BENCH_BUILD_CACHE (`warm`,
 * the default: the build finds the files the validation fetched; `cold`: the local object cache is emptied between
 * the validation and the approval), BENCH_SECOND_CHANGE=1 (a second case and change, validated with a warm cache and
 * approved with the first: the build then proves content no validation proved, and compiles and scans afresh),
 * BENCH_SEED (rules, default 1), BENCH_BUILD=1.
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; see bench/README.md. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadYaraX, type YaraX } from '@sigdesk/detection';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createS3Client } from '@sigdesk/storage';
import {
  describeRun,
  ensureBuild,
  envNumber,
  expect2xx,
  jsonRequest,
  MiB,
  multipartFromBuffer,
  post,
  printProblems,
  readProcStatus,
  Sigdesk,
  sleep,
  startSigdesk,
  SUBMISSION_FIELDS,
  verdict,
  prng,
} from './support/harness';
import { confirmedMarkerCase, msaStartAccounts, storeCleanCorpus } from './support/seeding';
import { generateRules, type GeneratedRule } from './support/simple-rules';

const { compile } = loadYaraX();

const GOAL_SECONDS = 60;
const THROUGHPUT_GOAL = 0.8;
/** Part 3: build time may grow at most 10 % faster than the rules (as bench/detection-compile.ts: ×2.2 per doubling). */
const GROWTH_SLACK = 1.1;
const KiB = 1024;
const MIN_FILE = 64 * KiB;
const MAX_FILE = 8 * MiB;
/** Ticks of /proc/<pid>/stat per second (USER_HZ; 100 on Linux x86-64). */
const CLOCK_TICKS = 100;
/** /proc/<pid>/stat counts RSS in pages. */
const PAGE_BYTES = 4096;
/**
 * How the YARA-X engine processes of libs/detection name themselves (process.title `sigdesk-yara-engine`; comm keeps
 * 15 characters, `sigdesk-yara-en`).
 */
const ENGINE_COMM = 'sigdesk-yara';

const mb = (bytes: number) => bytes / 1e6;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (bytes: number, ms: number) => `${(mb(bytes) / (ms / 1000)).toFixed(1)} MB/s`;
const int = (n: number) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------------------------
// the rules (generated by support/simple-rules.ts)

/**
 * Inserts the rules straight into PostgreSQL as base rule revisions (`rule_revisions` with `base = true`, the content
 * of a channel without a `signature_contents` row), 1,000 per statement; `sha256` is the hex SHA-256 of the source.
 */
async function insertRules(db: Client, rules: GeneratedRule[]): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < rules.length; start += 1000) {
    const batch = rules.slice(start, start + 1000);
    await db.query(
      `INSERT INTO rule_revisions (sha256, name, source, base)
       SELECT encode(sha256(convert_to(source, 'UTF8')), 'hex'), name, source, true
       FROM unnest($1::text[], $2::text[]) AS t(name, source)`,
      [batch.map((r) => r.name), batch.map((r) => r.source)],
    );
  }
  await db.query('ANALYZE rule_revisions');
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------------------------
// the clean corpus

interface CorpusFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

const TEXT_WORDS = [
  'request', 'response', 'completed', 'user', 'session', 'cache', 'config', 'value', 'items', 'order', 'invoice',
  'customer', 'status', 'update', 'delete', 'insert', 'select', 'from', 'where', 'return', 'const', 'function',
  'import', 'export', 'class', 'public', 'private', 'static', 'string', 'number', 'error', 'warning', 'info',
  'debug', 'timeout', 'retry', 'connection', 'database', 'server', 'client', 'the', 'a', 'of', 'to', 'and', 'in',
]; // prettier-ignore

/** A pool of text lines (logs, code, configuration, prose) that text files are made of. */
function textLines(count: number): string[] {
  const random = prng(4242);
  const word = () => TEXT_WORDS[Math.floor(random() * TEXT_WORDS.length)];
  const n = (max: number) => Math.floor(random() * max);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const shape = i % 4;
    if (shape === 0) {
      lines.push(
        `2026-11-${String(1 + n(25)).padStart(2, '0')}T${String(n(24)).padStart(2, '0')}:${String(n(60)).padStart(2, '0')}:` +
          `${String(n(60)).padStart(2, '0')}.${String(n(1000)).padStart(3, '0')}Z ${['INFO', 'WARN', 'DEBUG'][n(3)]} ` +
          `[${word()}-${word()}] ${word()} ${word()} ${n(100000)} in ${n(2000)} ms path=/api/v1/${word()}/${n(9999)}`,
      );
    } else if (shape === 1) {
      lines.push(`    const ${word()}${n(100)} = ${word()}(${word()}[${n(64)}], "${word()}") + ${n(1000)};`);
    } else if (shape === 2) {
      lines.push(`${word()}_${word()} = ${word()} ${n(65536)}`);
    } else {
      lines.push(Array.from({ length: 6 + n(10) }, word).join(' ') + '.');
    }
  }
  return lines;
}

/**
 * Files of 64 KiB to 8 MiB (sizes spread evenly on a log scale) until `totalBytes`: random binary (half of it with an
 * MZ header, a DOS stub and zero-filled blocks, like a PE file) and text (logs, code, configuration).
 */
function generateCorpus(dir: string, totalBytes: number, label: string): CorpusFile[] {
  const random = prng(totalBytes % 2147483647);
  const lines = textLines(20_000);
  const files: CorpusFile[] = [];
  let left = totalBytes;
  for (let i = 0; left > 0; i++) {
    let size = Math.round(Math.exp(Math.log(MIN_FILE) + random() * (Math.log(MAX_FILE) - Math.log(MIN_FILE))));
    if (left - size < MIN_FILE) size = left;
    left -= size;
    const kind = random();
    let content: Buffer;
    let extension: string;
    if (kind < 0.6) {
      content = randomBytes(size);
      extension = 'bin';
      if (kind < 0.3) {
        extension = 'exe';
        content.write('MZ', 0, 'latin1');
        content.writeUInt32LE(0x80, 0x3c);
        content.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
        for (let block = 64 * KiB; block + 4 * KiB <= size; block += 64 * KiB) content.fill(0, block, block + 4 * KiB);
      }
    } else {
      extension = ['log', 'txt', 'js', 'ini'][Math.floor(random() * 4)];
      const parts: string[] = [];
      let length = 0;
      // joined with line breaks the lines make `length - 1` characters: go one past `size`
      while (length <= size) {
        const line = lines[Math.floor(random() * lines.length)];
        parts.push(line);
        length += line.length + 1;
      }
      content = Buffer.from(parts.join('\n'), 'latin1').subarray(0, size);
    }
    if (content.length !== size) throw new Error(`corpus file ${i}: ${content.length} bytes, not ${size}`);
    const name = `bench-${label}-${String(i).padStart(5, '0')}.${extension}`;
    const path = join(dir, name);
    writeFileSync(path, content);
    files.push({ name, path, size, sha256: createHash('sha256').update(content).digest('hex') });
  }
  return files;
}

/** The corpus stored and registered (support/seeding.ts): how long it took. */
async function uploadCorpus(sigdesk: Sigdesk, db: Client, files: CorpusFile[]): Promise<number> {
  const started = performance.now();
  await storeCleanCorpus(sigdesk, db, files);
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------------------------
// the regression collection

const REGRESSION_MIN = 4 * KiB;
const REGRESSION_MAX = 64 * KiB;
/** The share of regression files that carry the strings of a generated rule, so that the parent detects them. */
const REGRESSION_DETECTED = 0.2;

interface RegressionUpload {
  files: number;
  bytes: number;
  /** files that carry the two text strings of a `2 of them` rule: the parent version detects them */
  planted: number;
  ms: number;
}

/**
 * `count` files of 4–64 KiB of random bytes (sizes spread evenly on a log scale), a fifth of them carrying the
 * `$s1` and `$s2` strings of a generated `2 of them` rule, PUT (8 at a time) under
 * `regression-corpus/<sha[0:2]>/<sha>` and registered in `regression_corpus_files`, as the admin collection would
 * be. The bytes are made as they are sent and not kept.
 */
async function uploadRegression(
  sigdesk: Sigdesk,
  db: Client,
  rules: GeneratedRule[],
  count: number,
): Promise<RegressionUpload> {
  const started = performance.now();
  const random = prng(count * 7919 + 17);
  const detectable = rules.filter((r) => r.texts);
  const rows: Array<{ sha256: string; name: string; size: number }> = [];
  let bytes = 0;
  let planted = 0;
  const s3 = createS3Client(sigdesk.s3);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) {
          const i = next++;
          const size = Math.round(
            Math.exp(Math.log(REGRESSION_MIN) + random() * (Math.log(REGRESSION_MAX) - Math.log(REGRESSION_MIN))),
          );
          const content = randomBytes(size);
          let name = `bench-regression-${String(i).padStart(5, '0')}.bin`;
          if (detectable.length && random() < REGRESSION_DETECTED) {
            const rule = detectable[Math.floor(random() * detectable.length)];
            const [first, second] = rule.texts!.map((x) => Buffer.from(x, 'latin1'));
            // one string in each half of the file
            content.set(first, Math.floor(random() * (size / 2 - first.length)));
            content.set(second, Math.floor(size / 2 + random() * (size / 2 - second.length)));
            name = `bench-regression-${String(i).padStart(5, '0')}-${rule.name}.bin`;
            planted++;
          }
          const sha256 = createHash('sha256').update(content).digest('hex');
          await s3.send(
            new PutObjectCommand({
              Bucket: sigdesk.s3.bucket,
              Key: `regression-corpus/${sha256.slice(0, 2)}/${sha256}`,
              Body: content,
              ContentLength: size,
              ContentType: 'application/octet-stream',
            }),
            { abortSignal: AbortSignal.timeout(60_000) },
          );
          rows.push({ sha256, name, size });
          bytes += size;
        }
      }),
    );
  } finally {
    s3.destroy();
  }
  for (let start = 0; start < rows.length; start += 1000) {
    const batch = rows.slice(start, start + 1000);
    await db.query(
      `INSERT INTO regression_corpus_files (sha256, name, size, storage_key)
       SELECT sha256, name, size, 'regression-corpus/' || substr(sha256, 1, 2) || '/' || sha256
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(sha256, name, size)`,
      [batch.map((f) => f.sha256), batch.map((f) => f.name), batch.map((f) => f.size)],
    );
  }
  await db.query('ANALYZE regression_corpus_files');
  return { files: rows.length, bytes, planted, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------------------------
// watching the server: its engine processes' CPU and memory, the JSON log

/** A child process of the server as /proc shows it at one moment. */
interface ChildReading {
  pid: number;
  /** /proc/<pid>/comm (15 characters at most): `sigdesk-yara-en` for an engine once its script has started */
  comm: string;
  /** CPU ticks (user + system) */
  ticks: number;
  rssKiB: number;
}

interface ProcessSample {
  at: number;
  /** CPU ticks of the whole server process (all its threads, not its children) */
  server: number;
  /** CPU ticks of the server's main thread (the event loop) */
  main: number;
  /** the server's child processes, by `<pid>@<start time>` (a pid may be reused, the pair not) */
  children: Map<string, ChildReading>;
}

/** The fields of a /proc stat line after the command's name: `fields[i]` is field i + 3 of proc(5). */
function statFields(path: string): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return undefined; // the process or thread ended
  }
}

const ticksOf = (fields: string[]) => Number(fields[11]) + Number(fields[12]); // utime + stime

/**
 * The server's child processes: /proc/<pid>/task/<tid>/children of each of its threads (a child is listed under the
 * thread that forked it). An engine started through prlimit has the same pid once prlimit has exec'd node.
 */
function readChildren(pid: number): Map<string, ChildReading> {
  const children = new Map<string, ChildReading>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  const pids = new Set<number>();
  for (const tid of tids) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (child.trim()) pids.add(Number(child));
      }
    } catch {
      // the thread ended
    }
  }
  for (const child of pids) {
    const stat = statFields(`/proc/${child}/stat`);
    if (!stat || Number(stat.fields[1]) !== pid) continue;
    children.set(`${child}@${stat.fields[19]}`, {
      pid: child,
      comm: stat.comm,
      ticks: ticksOf(stat.fields),
      rssKiB: (Number(stat.fields[21]) * PAGE_BYTES) / 1024,
    });
  }
  return children;
}

function readProcessSample(pid: number): ProcessSample {
  const server = statFields(`/proc/${pid}/stat`);
  const main = statFields(`/proc/${pid}/task/${pid}/stat`);
  return {
    at: Date.now(),
    server: server ? ticksOf(server.fields) : NaN,
    main: main ? ticksOf(main.fields) : NaN,
    children: readChildren(pid),
  };
}

/** Samples the server process, its main thread and its child processes every `intervalMs`. */
class ProcessSampler {
  readonly samples: ProcessSample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): ProcessSample[] {
    clearInterval(this.timer);
    this.sample();
    return this.samples;
  }

  private sample(): void {
    this.samples.push(readProcessSample(this.pid));
  }
}

const isEngine = (comm: string) => comm.startsWith(ENGINE_COMM);

/** The value `read` gives for the last sample at or before `at` that has one (0 before the first). */
function valueAt(samples: ProcessSample[], at: number, read: (sample: ProcessSample) => number | undefined): number {
  let value = 0;
  for (const sample of samples) {
    if (sample.at > at) break;
    value = read(sample) ?? value;
  }
  return value;
}

/** CPU seconds of a child process between two moments (its last value once it has ended). */
function childCpuBetween(samples: ProcessSample[], key: string, from: number, to: number): number {
  const read = (x: ProcessSample) => x.children.get(key)?.ticks;
  return (valueAt(samples, to, read) - valueAt(samples, from, read)) / CLOCK_TICKS;
}

function serverCpuBetween(samples: ProcessSample[], which: 'server' | 'main', from: number, to: number): number {
  const read = (x: ProcessSample) => x[which];
  return (valueAt(samples, to, read) - valueAt(samples, from, read)) / CLOCK_TICKS;
}

/** The engine processes the server has now: how many, and their RSS together. */
function enginesNow(pid: number): EngineFigures {
  const engines = [...readChildren(pid).values()].filter((c) => isEngine(c.comm));
  return {
    count: engines.length,
    rssMiB: engines.reduce((a, c) => a + c.rssKiB, 0) / 1024,
    each: engines.map((c) => `pid ${c.pid} ${(c.rssKiB / 1024).toFixed(0)} MiB`),
  };
}

interface LogLine {
  time: number;
  msg: string;
  [key: string]: unknown;
}

async function readLog(path: string): Promise<LogLine[]> {
  await sleep(300); // the harness writes the child's output to the file as it comes
  const lines: LogLine[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (typeof parsed.msg === 'string') lines.push(parsed);
    } catch {
      // not JSON
    }
  }
  return lines;
}

interface EngineFigures {
  /** engine processes (children of the server named `sigdesk-yara…`) */
  count: number;
  /** their RSS together */
  rssMiB: number;
  /** `pid <pid> <RSS> MiB` of each */
  each: string[];
}

interface ProcessFigures {
  /** the server process alone, without its engine processes */
  rssMiB: number;
  threads: number;
  engines: EngineFigures;
  /** bytes the process has written so far (`wchar` of /proc/<pid>/io: files and sockets), in MiB */
  writtenMiB: number;
}

function processStatus(pid: number): ProcessFigures {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let writtenMiB = NaN;
  try {
    writtenMiB = Number(/^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN) / MiB;
  } catch {
    // not readable
  }
  return {
    rssMiB: readProcStatus(pid).rssKiB / 1024,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
    engines: enginesNow(pid),
    writtenMiB,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// one whole scenario: a sigdesk with the rules and the corpus, a case, a validated change, an approval, a build

interface Stage {
  stage: string;
  start: number;
  end: number;
  detail?: string;
}

/** What `database_builds.report` and `signature_changes.report` hold (ProofReport of libs/signatures). */
interface ProofReportView {
  passed: boolean;
  parentVersion: number | null;
  checks: Array<{ check: string; passed: boolean; summary: string; figures?: Record<string, number> }>;
  diff: Array<{ file: string; collection: string; intended: boolean }>;
  diffCount: number;
  rules: number;
  millis: number;
}

interface ScenarioResult {
  label: string;
  generatedRules: number;
  /** enabled rules of the build (base + generated + the change) */
  buildRules: number;
  corpus: Array<{ name: string; size: number }>;
  corpusBytes: number;
  insertRulesMs: number;
  uploadMs: number;
  uploadBytes: number;
  intakeMs: number;
  validation: {
    ms: number;
    stages: Stage[];
    /** scan_time_budget: processor time of the engine processes over the clean corpus, with and without the change */
    withMs?: number;
    withoutMs?: number;
    /** scan_time_budget: the same scans' wall time in YARA-X */
    wallWithMs?: number;
    wallWithoutMs?: number;
    reportMillis?: number;
    /** what the server wrote meanwhile (mostly the corpus into its object cache) */
    writtenMiB: number;
    summary: string[];
    diffCount?: number;
  };
  regression?: RegressionUpload;
  build: {
    version: number;
    kind: string;
    status: string;
    failure?: unknown;
    approveRequestMs: number;
    /** from sending the approval to the poll that saw the build stored */
    approvalToStoredMs: number;
    /** approved_at → finished_at, both from PostgreSQL */
    dbApprovalToFinishedMs: number;
    /** approved_at → started_at */
    waitMs: number;
    /** started_at → finished_at */
    buildMs: number;
    stages: Stage[];
    /** the clean-corpus stage, from its first progress line to the next stage's */
    corpusStart?: number;
    corpusEnd?: number;
    progress: Array<{ at: number; scanned: number }>;
    /** every engine process seen from the approval to stored: CPU, RSS, whether it existed before the approval */
    engines: string[];
    /** engine processes before the approval, and how many the build started */
    enginesBefore: number;
    enginesStarted: number;
    /**
     * cores used during the clean-corpus stage: the server and its engine processes together, each engine process
     * (busiest first), the server process alone, its main thread
     */
    corpusCpu?: { cores: number; engines: number[]; server: number; main: number };
    /** CPU seconds of the engine processes during the clean-corpus stage, all together */
    corpusEngineCpu?: number;
    /** the proof as the build recorded it (`database_builds.report`) */
    report?: ProofReportView;
    /** 'ruleset compiled' log lines between the approval and the stored build: none when the build reused them */
    compiledDuringBuild: string[];
    /** the slowest 'ruleset compiled' of the run (a compile from scratch of the largest ruleset) */
    freshCompileMs?: number;
    pollMaxMs: number;
    pollMaxAtStage: string;
    /** CPU seconds of engine processes started by the build (a ruleset compiled again), per stage */
    newEngineCpu: Record<string, number>;
    before: ProcessFigures;
    after: ProcessFigures;
  };
  afterValidation: ProcessFigures;
  afterIntake: ProcessFigures;
  rulesetCompiledLines: string[];
  /** the rules exactly as the build compiled them (CombinedSource: each preceded by a line break) */
  combinedSource: string;
  problems: string[];
  logFile: string;
}

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not done within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

async function runScenario(
  label: string,
  rules: GeneratedRule[],
  corpus: CorpusFile[],
  buildCache: 'warm' | 'cold',
  regressionCount: number,
  secondChange = false,
): Promise<ScenarioResult> {
  // a TMPDIR and DATA_DIR of its own for the server: its local object cache (DATA_DIR/object-cache) starts empty,
  // and nothing of other sigdesk processes on the machine is touched
  const serverTmp = await mkdtemp(join(tmpdir(), 'sigdesk-bench-dbuild-tmp-'));
  const removeTmp = () => rmSync(serverTmp, { recursive: true, force: true });
  process.once('exit', removeTmp);
  const cacheDir = join(serverTmp, 'object-cache');
  console.log(`[${label}] starting sigdesk (API + worker), TMPDIR ${serverTmp} ...`);
  const sigdesk = await startSigdesk(`database-build-${label}`, {
    env: { LOG_LEVEL: 'info', SIGDESK_EXPEDITED_WINDOW_SECONDS: '1', TMPDIR: serverTmp, DATA_DIR: serverTmp },
  });
  const db = new Client({ connectionString: sigdesk.databaseUrl, application_name: 'bench' });
  // the harness drops the database WITH (FORCE) on Ctrl-C: that must not crash the clean-up
  db.on('error', (error) => console.error(`bench database connection: ${error.message}`));
  const watchdog = setInterval(() => {
    if (!sigdesk.exited) return;
    clearInterval(watchdog);
    console.error(`!! [${label}] sigdesk (pid ${sigdesk.pid}) exited: ${JSON.stringify(sigdesk.exited)}`);
  }, 50);
  try {
    await db.connect();
    const admin = (method: string, path: string, body?: unknown) =>
      jsonRequest(`${sigdesk.url}${path}`, method, sigdesk.adminKey, body);

    // -- the rules, before anything scans (the engine compiles once per fingerprint of the rules table)
    const insertRulesMs = await insertRules(db, rules);
    console.log(`[${label}] ${int(rules.length)} rules inserted in ${s(insertRulesMs)}`);
    const uploadMs = await uploadCorpus(sigdesk, db, corpus);
    const uploadBytes = corpus.reduce((a, f) => a + f.size, 0);
    console.log(
      `[${label}] ${corpus.length} corpus files (${(uploadBytes / MiB).toFixed(0)} MiB) stored in ${s(uploadMs)}`,
    );
    let regression: RegressionUpload | undefined;
    if (regressionCount > 0) {
      regression = await uploadRegression(sigdesk, db, rules, regressionCount);
      console.log(
        `[${label}] regression collection: ${int(regression.files)} files (${(regression.bytes / MiB).toFixed(0)} MiB, ` +
          `${int(regression.planted)} carrying a generated rule's strings) stored in ${s(regression.ms)}`,
      );
    }

    // -- accounts: an MSA Start customer (expedited builds), two analysts
    const {
      customer,
      analysts: [authorKey, reviewerKey],
    } = await msaStartAccounts(sigdesk);
    const author = (method: string, path: string, body?: unknown) =>
      jsonRequest(`${sigdesk.url}${path}`, method, authorKey, body);

    // -- a false negative with a marker nothing detects yet
    const theCase = await confirmedMarkerCase(sigdesk, customer, authorKey, { intakeTimeoutMs: 600_000 });
    const { marker, intakeMs } = theCase;
    let t0 = Date.now();
    const afterIntake = processStatus(sigdesk.pid);
    console.log(`[${label}] case ${theCase.reference} intake-completed in ${s(intakeMs)}`);

    // -- the change, validated: the first scan of the corpus, with a cold object cache
    rmSync(cacheDir, { recursive: true, force: true });
    const ruleName = `Bench_Build_Marker_${randomBytes(4).toString('hex')}`;
    const ruleSource = [
      `rule ${ruleName} : dropper`,
      '{',
      '    meta:',
      `        case = "${theCase.reference}"`,
      '        description = "The marker of the benchmark case"',
      '    strings:',
      `        $m = "${marker}"`,
      '    condition:',
      '        $m',
      '}',
    ].join('\n');
    const beforeValidation = processStatus(sigdesk.pid);
    t0 = Date.now();
    const proposed = await expect2xx<{ id: string }>(
      'proposal',
      author('POST', `/v1/cases/${theCase.id}/signature-changes`, { type: 'add_detection', rule: ruleSource }),
    );
    const validationStages: Stage[] = [];
    let status = 'validating';
    console.log(`[${label}] validating the change (cold object cache) ...`);
    while (status === 'validating') {
      const { rows } = await db.query<{ status: string; progress: { stage?: string; scanned?: number } | null }>(
        'SELECT status, progress FROM signature_changes WHERE id = $1',
        [proposed.id],
      );
      const now = Date.now();
      status = rows[0].status;
      const stage = rows[0].progress?.stage ?? 'queued';
      const last = validationStages[validationStages.length - 1];
      if (last) last.end = now;
      if (status === 'validating' && last?.stage !== stage) validationStages.push({ stage, start: now, end: now });
      if (now - t0 > 1_800_000) throw new Error('validation: not done within 30 min');
      if (status === 'validating') await sleep(50);
    }
    const validationMs = Date.now() - t0;
    const afterValidation = processStatus(sigdesk.pid);
    const change = await expect2xx<any>('change', author('GET', `/v1/signature-changes/${proposed.id}`));
    const checks = (change.report?.checks ?? []) as Array<{
      check: string;
      passed: boolean;
      summary: string;
      figures?: Record<string, number>;
    }>;
    const budget = checks.find((c) => c.check === 'scan_time_budget')?.figures as
      { withMs?: number; withoutMs?: number; wallWithMs?: number; wallWithoutMs?: number } | undefined;
    console.log(`[${label}] validation ${status} in ${s(validationMs)}`);
    if (status !== 'validated') {
      throw new Error(`validation failed: ${JSON.stringify(checks.filter((c) => !c.passed)).slice(0, 2000)}`);
    }

    // -- optionally a second case and change, validated on its own (warm cache, parent's scans remembered): the build of
    // both then proves content that no validation proved, so it compiles and scans its candidate afresh
    let second: { changeId: string; validationMs: number; stages: Stage[] } | undefined;
    if (secondChange) {
      const marker2 = `SIGDESK-BENCH-MARKER-${randomBytes(12).toString('hex')}`;
      const body2 = multipartFromBuffer(SUBMISSION_FIELDS, {
        field: 'sample',
        name: 'dropper-2.bin',
        content: Buffer.concat([randomBytes(20_000), Buffer.from(marker2), randomBytes(20_000)]),
      });
      const submitted2 = await post(
        `${sigdesk.url}/v1/submissions`,
        { authorization: `Bearer ${customer.key}`, 'content-type': body2.contentType },
        body2.buffer,
        body2.length,
      );
      if (submitted2.status !== 201) throw new Error(`submission 2: HTTP ${submitted2.status} ${submitted2.body}`);
      const case2 = JSON.parse(submitted2.body) as { id: string; reference: string };
      await waitFor(
        'intake of case 2',
        () => author('GET', `/v1/cases/${case2.id}`),
        (r) =>
          r.status === 200 && (r.body.timeline as Array<{ type: string }>).some((e) => e.type === 'intake_completed'),
        600_000,
      );
      const claimed2 = await expect2xx<{ id: string }>('claim 2', author('POST', '/v1/review-queue/claim'));
      if (claimed2.id !== case2.id) throw new Error(`claimed ${claimed2.id}, not the second case ${case2.id}`);
      await expect2xx(
        'verdict 2',
        author('POST', `/v1/cases/${case2.id}/verdict`, { verdict: 'confirmed', note: 'b' }),
      );
      const rule2 = ruleSource
        .replace(ruleName, `${ruleName}_Second`)
        .replace(theCase.reference, case2.reference)
        .replace(marker, marker2);
      const t2 = Date.now();
      const proposed2 = await expect2xx<{ id: string }>(
        'proposal 2',
        author('POST', `/v1/cases/${case2.id}/signature-changes`, { type: 'add_detection', rule: rule2 }),
      );
      console.log(`[${label}] validating a second change (warm object cache) ...`);
      const stages2: Stage[] = [];
      let status2 = 'validating';
      while (status2 === 'validating') {
        const { rows } = await db.query<{ status: string; progress: { stage?: string } | null }>(
          'SELECT status, progress FROM signature_changes WHERE id = $1',
          [proposed2.id],
        );
        const now = Date.now();
        status2 = rows[0].status;
        const stage = rows[0].progress?.stage ?? 'queued';
        const last = stages2[stages2.length - 1];
        if (last) last.end = now;
        if (status2 === 'validating' && last?.stage !== stage) stages2.push({ stage, start: now, end: now });
        if (now - t2 > 1_800_000) throw new Error('validation 2: not done within 30 min');
        if (status2 === 'validating') await sleep(50);
      }
      if (status2 !== 'validated') throw new Error(`validation of the second change: ${status2}`);
      second = { changeId: proposed2.id, validationMs: Date.now() - t2, stages: stages2 };
      console.log(`[${label}] second change validated in ${s(second.validationMs)}`);
      for (const line of stageTable(stages2, stages2[0]?.start ?? t2)) console.log(line);
    }

    // -- approval by the second analyst, then the expedited build
    if (buildCache === 'cold') rmSync(cacheDir, { recursive: true, force: true });
    await sleep(1000);
    const before = processStatus(sigdesk.pid);
    const sampler = new ProcessSampler(sigdesk.pid, 100).start();
    // the engine processes before the approval: one per ruleset compiled so far and not closed
    const enginesBeforeKeys = new Set(
      [...sampler.samples[0].children].filter(([, c]) => isEngine(c.comm)).map(([key]) => key),
    );
    t0 = Date.now();
    console.log(`[${label}] approving; waiting for the expedited build ...`);
    await expect2xx(
      'approval',
      jsonRequest(`${sigdesk.url}/v1/signature-changes/${proposed.id}/approve`, 'POST', reviewerKey, {}),
    );
    if (second) {
      // within the coalescing window: one build of both changes
      await expect2xx(
        'approval 2',
        jsonRequest(`${sigdesk.url}/v1/signature-changes/${second.changeId}/approve`, 'POST', reviewerKey, {}),
      );
    }
    const approveRequestMs = Date.now() - t0;
    const polls: Array<{ at: number; ms: number }> = [];
    let stored: any;
    for (;;) {
      const at = Date.now();
      const started = performance.now();
      const list = await admin('GET', '/v1/database-builds');
      polls.push({ at, ms: performance.now() - started });
      const mine = (list.body.items as any[] | undefined)?.find((b) => (b.changes as string[]).includes(proposed.id));
      if (mine && mine.status !== 'building') {
        stored = mine;
        break;
      }
      if (Date.now() - t0 > 1_800_000) throw new Error('build: not stored within 30 min');
      await sleep(100);
    }
    const approvalToStoredMs = Date.now() - t0;
    const samples = sampler.stop();
    const after = processStatus(sigdesk.pid);
    console.log(`[${label}] build ${stored.version} ${stored.status} ${s(approvalToStoredMs)} after the approval`);

    // -- what the database and the log say about it
    const { rows: buildRows } = await db.query<{
      started_at: Date;
      finished_at: Date;
      approved_at: Date;
      failure: unknown;
      kind: string;
    }>(
      `SELECT b.started_at, b.finished_at, b.kind, b.failure, sc.approved_at
         FROM database_builds b JOIN signature_changes sc ON sc.id = $1
        WHERE b.channel = 'default' AND b.version = $2`,
      [proposed.id, stored.version],
    );
    const row = buildRows[0];
    const log = await readLog(sigdesk.logFile);
    const progress = log.filter((l) => l.msg === 'build progress' && l.version === stored.version);
    const storedLine = log.find((l) => l.msg === 'database build stored' && l.version === stored.version);
    const stages: Stage[] = [];
    for (const line of progress) {
      const stage = String(line.stage);
      const last = stages[stages.length - 1];
      if (last?.stage === stage) continue;
      if (last) last.end = line.time;
      stages.push({ stage, start: line.time, end: line.time });
    }
    const finishedAt = storedLine?.time ?? row.finished_at.getTime();
    if (stages.length) stages[stages.length - 1].end = finishedAt;
    const corpusProgress = progress
      .filter((l) => l.stage === 'clean corpus' && Number(l.scanned) > 0)
      .map((l) => ({ at: l.time, scanned: Number(l.scanned) }));

    // -- the engine processes of the server: which ones worked, which the build started, the clean-corpus stage's cores
    const corpusStage = stages.find((x) => x.stage === 'clean corpus');
    const engines: string[] = [];
    let corpusCpu: ScenarioResult['build']['corpusCpu'];
    let corpusEngineCpu: number | undefined;
    const newEngineCpu: Record<string, number> = {};
    let enginesStarted = 0;
    if (samples.length > 2) {
      const first = samples[0].at;
      const last = samples[samples.length - 1].at;
      // a child counts as an engine once it has named itself (prlimit, then node, come first for a moment)
      const seen = new Map<string, ChildReading>();
      for (const sample of samples) {
        for (const [key, child] of sample.children) if (isEngine(child.comm) || !seen.has(key)) seen.set(key, child);
      }
      const all = [...seen]
        .filter(([, c]) => isEngine(c.comm))
        .map(([key, c]) => {
          const rss = samples.map((x) => x.children.get(key)?.rssKiB ?? 0);
          return {
            key,
            pid: c.pid,
            cpu: childCpuBetween(samples, key, first, last),
            existed: enginesBeforeKeys.has(key),
            peakRssMiB: Math.max(...rss) / 1024,
            ended: !samples[samples.length - 1].children.has(key),
          };
        })
        .sort((a, b) => b.cpu - a.cpu);
      // an engine process started by the build means a ruleset compiled again (the validation's was not reused)
      const fresh = all.filter((e) => !e.existed);
      enginesStarted = fresh.length;
      for (const e of all) {
        engines.push(
          `pid ${e.pid}: ${e.cpu.toFixed(2)} s CPU, RSS up to ${e.peakRssMiB.toFixed(0)} MiB — ` +
            (e.existed ? 'existed before the approval' : 'STARTED BY THE BUILD') +
            (e.ended ? ' (gone before the build was seen stored)' : ''),
        );
      }
      const others = [...seen.values()].filter((c) => !isEngine(c.comm));
      if (others.length) engines.push(`other child processes: ${others.map((c) => `${c.pid} (${c.comm})`).join(', ')}`);
      for (const engine of fresh) {
        for (const stage of stages) {
          newEngineCpu[stage.stage] =
            (newEngineCpu[stage.stage] ?? 0) + childCpuBetween(samples, engine.key, stage.start, stage.end);
        }
      }
      if (corpusStage) {
        const wall = (corpusStage.end - corpusStage.start) / 1000;
        const each = all.map((e) => childCpuBetween(samples, e.key, corpusStage.start, corpusStage.end));
        const server = serverCpuBetween(samples, 'server', corpusStage.start, corpusStage.end);
        corpusEngineCpu = each.reduce((a, b) => a + b, 0);
        corpusCpu = {
          cores: (server + corpusEngineCpu) / wall,
          engines: each
            .filter((x) => x > 0)
            .sort((a, b) => b - a)
            .map((x) => x / wall),
          server: server / wall,
          main: serverCpuBetween(samples, 'main', corpusStage.start, corpusStage.end) / wall,
        };
      }
    }
    const worst = polls.reduce((a, b) => (b.ms > a.ms ? b : a), { at: 0, ms: 0 });
    const stageAt = (at: number) => stages.find((x) => x.start <= at && at <= x.end)?.stage ?? 'outside the build';

    // -- the rules as the build compiled them (its stored content), in the build's order, for the bare comparison
    const { rows: ruleRows } = await db.query<{ source: string }>(
      `SELECT r.source FROM signature_contents sc CROSS JOIN unnest(sc.rules) AS u(sha256)
         JOIN rule_revisions r ON r.sha256 = u.sha256
        WHERE sc.channel = 'default' AND sc.version = $1
        ORDER BY r.name COLLATE "C"`,
      [stored.version],
    );
    const { rows: corpusRows } = await db.query<{ name: string; size: string }>(
      'SELECT name, size FROM clean_corpus_files ORDER BY name',
    );
    const { rows: reportRows } = await db.query<{ report: ProofReportView | null }>(
      `SELECT report FROM database_builds WHERE channel = 'default' AND version = $1`,
      [stored.version],
    );
    const compiled = log.filter((l) => l.msg === 'ruleset compiled');
    const compiledLines = compiled.map(
      (l) => `${int(Number(l.rules))} rules, ${Number(l.millis).toFixed(0)} ms, ${new Date(l.time).toISOString()}`,
    );
    const compiledDuringBuild = compiled
      .filter((l) => l.time >= t0 && l.time <= finishedAt)
      .map((l) => `${int(Number(l.rules))} rules, ${Number(l.millis).toFixed(0)} ms`);
    const freshCompileMs = compiled.length ? Math.max(...compiled.map((l) => Number(l.millis))) : undefined;

    return {
      label,
      generatedRules: rules.length,
      buildRules: ruleRows.length,
      corpus: corpusRows.map((r) => ({ name: r.name, size: Number(r.size) })),
      corpusBytes: corpusRows.reduce((a, r) => a + Number(r.size), 0),
      insertRulesMs,
      uploadMs,
      uploadBytes,
      intakeMs,
      validation: {
        ms: validationMs,
        stages: validationStages,
        withMs: budget?.withMs,
        withoutMs: budget?.withoutMs,
        wallWithMs: budget?.wallWithMs,
        wallWithoutMs: budget?.wallWithoutMs,
        reportMillis: change.report?.millis,
        writtenMiB: afterValidation.writtenMiB - beforeValidation.writtenMiB,
        summary: checks.map((c) => `${c.check}: ${c.passed ? 'passed' : 'FAILED'} — ${c.summary}`),
        diffCount: change.report?.diffCount,
      },
      regression,
      build: {
        version: stored.version,
        kind: row.kind,
        status: stored.status,
        failure: row.failure ?? undefined,
        approveRequestMs,
        approvalToStoredMs,
        dbApprovalToFinishedMs: row.finished_at.getTime() - row.approved_at.getTime(),
        waitMs: row.started_at.getTime() - row.approved_at.getTime(),
        buildMs: row.finished_at.getTime() - row.started_at.getTime(),
        stages,
        corpusStart: corpusStage?.start,
        corpusEnd: corpusStage?.end,
        progress: corpusProgress,
        report: reportRows[0]?.report ?? undefined,
        compiledDuringBuild,
        freshCompileMs,
        engines,
        enginesBefore: enginesBeforeKeys.size,
        enginesStarted,
        corpusCpu,
        corpusEngineCpu,
        newEngineCpu,
        pollMaxMs: worst.ms,
        pollMaxAtStage: stageAt(worst.at),
        before,
        after,
      },
      afterValidation,
      afterIntake,
      rulesetCompiledLines: compiledLines,
      combinedSource: ruleRows.map((r) => `\n${r.source}`).join(''),
      problems: sigdesk.problems.map((p) => p.line.slice(0, 400)),
      logFile: sigdesk.logFile,
    };
  } finally {
    await sleep(200);
    clearInterval(watchdog);
    printProblems(sigdesk);
    await db.end().catch(() => undefined);
    await sigdesk.close();
    removeTmp();
    process.off('exit', removeTmp);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the bare scan

interface BareResult {
  compileMs: number;
  /** growth of this process's RSS over the compile */
  compileRssMiB: number;
  rules: number;
  bytes: number;
  files: number;
  passesMs: number[];
  asyncMs: number;
}

/** The same rules, compiled by @litko/yara-x in this process, scanning the same files one after the other. */
async function bareScan(combinedSource: string, files: CorpusFile[], passes: number): Promise<BareResult> {
  const rssBefore = process.memoryUsage.rss();
  let started = performance.now();
  const rules = compile(combinedSource, { enableIncludes: false }) as YaraX;
  const compileMs = performance.now() - started;
  const compileRssMiB = (process.memoryUsage.rss() - rssBefore) / MiB;
  const ruleCount = (combinedSource.match(/^rule /gm) ?? []).length;
  const passesMs: number[] = [];
  const bytes = files.reduce((a, f) => a + f.size, 0);
  for (let pass = 0; pass < passes; pass++) {
    started = performance.now();
    for (const file of files) {
      const matches = rules.scanFile(file.path);
      if (matches.length) throw new Error(`bare scan: ${file.name} matched ${matches.map((m) => m.ruleIdentifier)}`);
    }
    passesMs.push(performance.now() - started);
  }
  started = performance.now();
  for (const file of files) await rules.scanFileAsync(file.path);
  const asyncMs = performance.now() - started;
  return { compileMs, compileRssMiB, rules: ruleCount, bytes, files: files.length, passesMs, asyncMs };
}

// ---------------------------------------------------------------------------------------------------------------
// printing

function serverText(figures: ProcessFigures): string {
  const { engines } = figures;
  return (
    `RSS ${figures.rssMiB.toFixed(0)} MiB, ${figures.threads} threads; ${engines.count} engine process(es), ` +
    `RSS ${engines.rssMiB.toFixed(0)} MiB together${engines.each.length ? ` (${engines.each.join(', ')})` : ''}`
  );
}

function stageTable(stages: Stage[], origin: number): string[] {
  return stages.map(
    (x) =>
      `    ${x.stage.padEnd(34)}${s(x.end - x.start).padStart(10)}   (from +${((x.start - origin) / 1000).toFixed(2)} s)` +
      (x.detail ? `  ${x.detail}` : ''),
  );
}

/** The build's stages (from its progress lines) and the clean-corpus stage's time, both rulesets side by side. */
function buildStages(result: ScenarioResult): { stages: Stage[]; corpusMs?: number; how: string } {
  const { build } = result;
  const corpus = build.stages.find((x) => x.stage === 'clean corpus');
  return {
    stages: build.stages,
    corpusMs: corpus ? corpus.end - corpus.start : undefined,
    how: "from its first 'build progress' line (scanned 0) to the next stage's, both rulesets side by side",
  };
}

function steadyThroughput(result: ScenarioResult): { bytes: number; ms: number; from: number } | undefined {
  const { progress, corpusEnd } = result.build;
  if (!progress.length || !corpusEnd) return undefined;
  const first = progress[0];
  const bytes = result.corpus.slice(first.scanned).reduce((a, f) => a + f.size, 0);
  return { bytes, ms: corpusEnd - first.at, from: first.scanned };
}

function printScenario(result: ScenarioResult): string[] {
  const { build, validation } = result;
  const lines = [
    `  rules: ${int(result.generatedRules)} generated + base + the change = ${int(result.buildRules)} in the build; ` +
      `inserted in ${s(result.insertRulesMs)}`,
    `  clean corpus: ${result.corpus.length} files, ${int(result.corpusBytes)} bytes (${(result.corpusBytes / MiB).toFixed(0)} MiB); ` +
      `stored in S3 + PostgreSQL in ${s(result.uploadMs)} (${rate(result.uploadBytes, result.uploadMs)})`,
    result.regression
      ? `  regression collection: ${int(result.regression.files)} files, ${int(result.regression.bytes)} bytes, ` +
        `${int(result.regression.planted)} of them carrying the strings of a generated rule (the parent detects ` +
        `them); stored in S3 + PostgreSQL in ${s(result.regression.ms)}`
      : '  regression collection: none (only the case samples)',
    `  intake of the case (first scan: compiles the ruleset): ${s(result.intakeMs)}; ` +
      `'ruleset compiled' log lines: ${result.rulesetCompiledLines.join('; ') || 'none'}`,
    `  server after intake: ${serverText(result.afterIntake)}`,
    '',
    `  validation (cold object cache): ${s(validation.ms)} from the proposal to 'validated'`,
    ...stageTable(validation.stages, validation.stages[0]?.start ?? 0),
  ];
  const cold = validation.stages.find((x) => x.stage === 'clean corpus');
  const warm = validation.stages.find((x) => x.stage === 'scan time');
  if (cold && !warm) {
    lines.push(
      `    corpus, both rulesets side by side (cold: fetches every file from S3): ${s(cold.end - cold.start)} = ` +
        `${rate(result.corpusBytes, cold.end - cold.start)} of corpus`,
    );
  }
  if (cold && warm) {
    lines.push(
      `    corpus pass 1 (new ruleset, cold: fetches every file from S3): ${s(cold.end - cold.start)} = ` +
        `${rate(result.corpusBytes, cold.end - cold.start)}`,
      `    corpus pass 2 (current ruleset, warm cache):                 ${s(warm.end - warm.start)} = ` +
        `${rate(result.corpusBytes, warm.end - warm.start)}`,
    );
  }
  if (validation.withMs !== undefined && validation.withoutMs !== undefined) {
    lines.push(
      `    scan_time_budget (report), processor time of the engine processes over the corpus: ` +
        `${s(validation.withMs)} with the change (${rate(result.corpusBytes, validation.withMs)} per CPU second), ` +
        `${s(validation.withoutMs)} without (${rate(result.corpusBytes, validation.withoutMs)})`,
    );
  }
  if (validation.wallWithMs !== undefined && validation.wallWithoutMs !== undefined) {
    lines.push(
      `    the same scans' wall time in YARA-X: ${s(validation.wallWithMs)} with ` +
        `(${rate(result.corpusBytes, validation.wallWithMs)}), ${s(validation.wallWithoutMs)} without ` +
        `(${rate(result.corpusBytes, validation.wallWithoutMs)})`,
    );
  }
  lines.push(...validation.summary.map((x) => `    ${x}`));
  if (validation.diffCount !== undefined)
    lines.push(`    diff between parent and candidate: ${validation.diffCount} file(s)`);
  lines.push(
    `    the server wrote ${validation.writtenMiB.toFixed(0)} MiB meanwhile (wchar; one copy of the corpus in its ` +
      `object cache is ${(result.corpusBytes / MiB).toFixed(0)} MiB)`,
  );
  lines.push(`  server after validation: ${serverText(result.afterValidation)}`, '');
  const split = buildStages(result);
  lines.push(
    `  build ${build.version} (${build.kind}) ${build.status}${build.failure ? `: ${JSON.stringify(build.failure)}` : ''}`,
    `    approval → stored (poll of GET /v1/database-builds): ${s(build.approvalToStoredMs)}   ` +
      `(goal < ${GOAL_SECONDS} s) ${verdict(build.status === 'stored' && build.approvalToStoredMs < GOAL_SECONDS * 1000)}`,
    `    approved_at → finished_at (PostgreSQL):               ${s(build.dbApprovalToFinishedMs)}`,
    `      of which approved_at → started_at (1 s window + queue): ${s(build.waitMs)}`,
    `      of which started_at → finished_at (the build):          ${s(build.buildMs)}`,
    `    the approval request itself: ${build.approveRequestMs} ms`,
    "    stages (from the 'build progress' log lines):",
    ...stageTable(split.stages, split.stages[0]?.start ?? 0),
  );
  const newCpu = Object.entries(build.newEngineCpu).filter(([, cpu]) => cpu >= 0.01);
  lines.push(
    `    compile once: 'ruleset compiled' log lines during the build: ${build.compiledDuringBuild.length ? build.compiledDuringBuild.join('; ') : "none (the validation's compiled rulesets were reused)"}`,
  );
  const compiling = build.stages.find((x) => x.stage === 'compiling');
  if (compiling && build.freshCompileMs !== undefined) {
    lines.push(
      `      stage 'compiling' ${s(compiling.end - compiling.start)} against a compile from scratch of the ruleset ` +
        `in this process of ${s(build.freshCompileMs)} (the slowest 'ruleset compiled' line of the run)`,
    );
  }
  lines.push(
    `    engine processes: ${build.enginesBefore} before the approval, ${build.enginesStarted} started by the build` +
      (build.enginesStarted
        ? ' (a ruleset compiled again)'
        : " (none: the validation's compiled rulesets were reused)"),
  );
  if (newCpu.length) {
    lines.push(
      `    CPU of the engine processes the build started, by stage: ` +
        newCpu.map(([stage, cpu]) => `${stage} ${cpu.toFixed(2)} s`).join(', '),
    );
  }
  if (split.corpusMs !== undefined) lines.push(`    clean corpus stage: ${s(split.corpusMs)}, ${split.how}`);
  if (build.corpusCpu) {
    const c = build.corpusCpu;
    lines.push(
      `    CPU during the clean-corpus stage: ${c.cores.toFixed(2)} cores (server + engine processes); engine ` +
        `processes ${c.engines.map((x) => `${(x * 100).toFixed(0)} %`).join(', ') || 'idle'} ` +
        `(${(build.corpusEngineCpu ?? 0).toFixed(2)} s of CPU together); server process ` +
        `${(c.server * 100).toFixed(0)} %, of which its main thread ${(c.main * 100).toFixed(0)} %`,
    );
  }
  if (build.report) {
    const r = build.report;
    const byCollection = new Map<string, number>();
    for (const d of r.diff) byCollection.set(d.collection, (byCollection.get(d.collection) ?? 0) + 1);
    lines.push(
      `    database_builds.report: ${r.passed ? 'passed' : 'FAILED'}, ${int(r.rules)} rules, proof ${s(r.millis)}, ` +
        `diff ${r.diffCount} file(s)` +
        (byCollection.size ? ` (${[...byCollection].map(([c, n]) => `${c} ${n}`).join(', ')})` : ''),
      ...r.checks.map(
        (c) =>
          `      ${c.check}: ${c.passed ? 'passed' : 'FAILED'} — ${c.summary}` +
          (c.figures ? ` ${JSON.stringify(c.figures)}` : ''),
      ),
    );
  }
  lines.push(
    '    engine processes of the server from the approval to stored:',
    ...build.engines.map((t) => `      ${t}`),
  );
  lines.push(
    `    slowest GET /v1/database-builds during the build: ${build.pollMaxMs.toFixed(0)} ms (in stage ${build.pollMaxAtStage})`,
    `    server: RSS ${build.before.rssMiB.toFixed(0)} → ${build.after.rssMiB.toFixed(0)} MiB, ` +
      `threads ${build.before.threads} → ${build.after.threads}; engine processes ${build.before.engines.count} → ` +
      `${build.after.engines.count}, their RSS ${build.before.engines.rssMiB.toFixed(0)} → ` +
      `${build.after.engines.rssMiB.toFixed(0)} MiB (before the approval → after the build); ` +
      `wrote ${(build.after.writtenMiB - build.before.writtenMiB).toFixed(0)} MiB during the build`,
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  const ruleCount = Math.round(envNumber('BENCH_RULES', 10_000));
  const corpusMiB = envNumber('BENCH_CORPUS_MIB', 1024);
  const regressionCount = Math.round(envNumber('BENCH_REGRESSION_FILES', 10_000));
  const growthCorpusMiB = envNumber('BENCH_GROWTH_CORPUS_MIB', 64);
  const barePasses = Math.round(envNumber('BENCH_BARE_PASSES', 2));
  const seed = Math.round(envNumber('BENCH_SEED', 1));
  const growthRaw = process.env.BENCH_GROWTH_SIZES ?? '1000,10000,30000';
  const growthSizes = growthRaw === 'none' ? [] : growthRaw.split(',').map((x) => Math.round(Number(x)));
  if (growthSizes.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`BENCH_GROWTH_SIZES: "${growthRaw}"`);
  const buildCache = process.env.BENCH_BUILD_CACHE === 'cold' ? 'cold' : 'warm';
  const secondChange = process.env.BENCH_SECOND_CHANGE === '1';

  ensureBuild();
  const machine = describeRun();
  console.log(machine);
  const workDir = await mkdtemp(join(tmpdir(), 'sigdesk-bench-dbuild-'));
  const removeWork = () => rmSync(workDir, { recursive: true, force: true });
  process.once('exit', removeWork);
  const out: string[] = [];
  try {
    // ------------------------------------------------------------------ 1. one expedited build, full size
    let started = performance.now();
    const rules = generateRules(Math.max(ruleCount, ...growthSizes), seed);
    const generateRulesMs = performance.now() - started;
    started = performance.now();
    const corpusDir = join(workDir, 'corpus');
    rmSync(corpusDir, { recursive: true, force: true });
    await mkdir(corpusDir);
    const corpus = generateCorpus(corpusDir, Math.round(corpusMiB * MiB), 'clean');
    const corpusBytes = corpus.reduce((a, f) => a + f.size, 0);
    console.log(
      `generated ${int(rules.length)} rules in ${s(generateRulesMs)}, ${corpus.length} corpus files ` +
        `(${int(corpusBytes)} bytes) in ${s(performance.now() - started)} under ${workDir}`,
    );
    console.log(
      `load average before part 1: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const full = await runScenario(
      'main',
      rules.slice(0, ruleCount),
      corpus,
      buildCache,
      regressionCount,
      secondChange,
    );

    // ------------------------------------------------------------------ 2. bare YARA-X on the same files and rules
    console.log(
      `bare @litko/yara-x: compiling ${int(full.buildRules)} rules, ${barePasses} scanFile pass(es) + 1 scanFileAsync ...`,
    );
    const byName = new Map(corpus.map((f) => [f.name, f]));
    const ordered = full.corpus.map((f) => byName.get(f.name)).filter((f): f is CorpusFile => f !== undefined);
    const bare = await bareScan(full.combinedSource, ordered, barePasses);
    rmSync(corpusDir, { recursive: true, force: true });

    out.push(
      '',
      `== database-build: ${int(full.buildRules)} rules, ${(full.corpusBytes / MiB).toFixed(0)} MiB clean corpus, ` +
        `SIGDESK_EXPEDITED_WINDOW_SECONDS=1, build cache ${buildCache}`,
      machine,
      '',
      '1. expedited build, approval → stored release',
      ...printScenario(full),
    );

    const split = buildStages(full);
    const bestBare = Math.min(...bare.passesMs);
    const bareRate = mb(bare.bytes) / (bestBare / 1000);
    out.push('', '2. clean-corpus scan throughput: the build against @litko/yara-x used directly');
    out.push(
      `  bare: compile of the same ${int(bare.rules)} rules ${s(bare.compileMs)} (RSS +${bare.compileRssMiB.toFixed(0)} MiB); scanFile, sequential, ${bare.files} files ` +
        `(${int(bare.bytes)} bytes; the 6 tiny default corpus files left out): ` +
        bare.passesMs.map((ms) => `${s(ms)} = ${rate(bare.bytes, ms)}`).join(', '),
      `  bare: scanFileAsync, sequential: ${s(bare.asyncMs)} = ${rate(bare.bytes, bare.asyncMs)}`,
    );
    // Scan results are remembered per (rules, file) in the server (SignatureEngine.scanOnce): a build whose rules are
    // the validated candidate's finds every clean-corpus scan done and its stage measures no scan at all. Then the
    // scans to compare with bare YARA-X are the validation's.
    const validationScanCpu = ((full.validation.withMs ?? 0) + (full.validation.withoutMs ?? 0)) / 1000;
    const buildScanned = (full.build.corpusEngineCpu ?? 0) >= Math.max(0.1, 0.05 * validationScanCpu);
    if (split.corpusMs !== undefined && buildScanned) {
      const raw = mb(full.corpusBytes) / (split.corpusMs / 1000);
      const perScan = (2 * mb(full.corpusBytes)) / (split.corpusMs / 1000);
      out.push(
        `  build: clean-corpus stage ${s(split.corpusMs)} for ${int(full.corpusBytes)} bytes (${split.how})`,
        `    stage throughput (corpus bytes / stage time):          ${raw.toFixed(1)} MB/s = ` +
          `${((raw / bareRate) * 100).toFixed(0)} % of bare (goal ≥ ${THROUGHPUT_GOAL * 100} %) ${verdict(raw >= THROUGHPUT_GOAL * bareRate)}`,
        `    per scan (each file is scanned twice: new and parent): ${perScan.toFixed(1)} MB/s = ` +
          `${((perScan / bareRate) * 100).toFixed(0)} % of bare (no goal: near 100 % when the two scans run one after ` +
          `the other, up to 200 % on 2 cores when side by side)`,
      );
      const steady = steadyThroughput(full);
      if (steady) {
        const steadyRate = mb(steady.bytes) / (steady.ms / 1000);
        out.push(
          `    steady part (from the progress line at ${steady.from} files to the end, ${int(steady.bytes)} bytes in ` +
            `${s(steady.ms)}): ${steadyRate.toFixed(1)} MB/s stage, ${(2 * steadyRate).toFixed(1)} MB/s per scan = ` +
            `${((steadyRate / bareRate) * 100).toFixed(0)} % / ${(((2 * steadyRate) / bareRate) * 100).toFixed(0)} % of bare`,
        );
      }
    } else if (split.corpusMs !== undefined) {
      out.push(
        `  build: clean-corpus stage ${s(split.corpusMs)}, ${(full.build.corpusEngineCpu ?? 0).toFixed(2)} s of engine ` +
          `CPU: it scanned nothing again (the validation's results, remembered per rules and file), so it has no ` +
          `throughput to compare; the validation's scans instead:`,
      );
    }
    const validationCorpus = full.validation.stages.find((x) => x.stage === 'clean corpus');
    if (!buildScanned && validationCorpus) {
      const ms = validationCorpus.end - validationCorpus.start;
      const raw = mb(full.corpusBytes) / (ms / 1000);
      out.push(
        `    validation's clean-corpus stage (cold cache: fetches every file from S3, both rulesets side by side): ` +
          `${s(ms)} = ${raw.toFixed(1)} MB/s = ${((raw / bareRate) * 100).toFixed(0)} % of bare ` +
          `(goal ≥ ${THROUGHPUT_GOAL * 100} %) ${verdict(raw >= THROUGHPUT_GOAL * bareRate)}`,
      );
    }
    if (full.validation.withoutMs !== undefined && full.validation.withMs !== undefined) {
      const cpuRate = mb(full.corpusBytes) / (full.validation.withoutMs / 1000);
      out.push(
        `    validation's scans (report, scan_time_budget): without the change ${rate(full.corpusBytes, full.validation.withoutMs)} ` +
          `per CPU second of the engine process = ${((cpuRate / bareRate) * 100).toFixed(0)} % of bare, with it ` +
          `${rate(full.corpusBytes, full.validation.withMs)}` +
          (full.validation.wallWithoutMs !== undefined && full.validation.wallWithMs !== undefined
            ? `; wall time in YARA-X ${rate(full.corpusBytes, full.validation.wallWithoutMs)} without, ` +
              `${rate(full.corpusBytes, full.validation.wallWithMs)} with ` +
              `(${((mb(full.corpusBytes) / (full.validation.wallWithoutMs / 1000) / bareRate) * 100).toFixed(0)} % ` +
              `of bare without)`
            : ''),
      );
    }

    // ------------------------------------------------------------------ 3. growth with the number of rules
    const growth: ScenarioResult[] = [];
    if (growthSizes.length) {
      const growthDir = join(workDir, 'growth');
      await mkdir(growthDir);
      const growthCorpus = generateCorpus(growthDir, Math.round(growthCorpusMiB * MiB), 'growth');
      for (const size of growthSizes) {
        console.log(
          `load average before the ${int(size)}-rule build: ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}`,
        );
        growth.push(await runScenario(`growth-${size}`, rules.slice(0, size), growthCorpus, buildCache, 0));
      }
      out.push(
        '',
        `3. build time against the number of rules (${growthCorpus.length} corpus files, ` +
          `${(growthCorpus.reduce((a, f) => a + f.size, 0) / MiB).toFixed(0)} MiB; a new sigdesk for each size)`,
        '    rules    approval→stored   build (started→finished) compiling  case samples¹  clean corpus²  per scan  validation',
      );
      for (const g of growth) {
        const split = buildStages(g);
        const get = (name: string) => split.stages.find((x) => x.stage === name);
        const dur = (x?: Stage) => (x ? s(x.end - x.start) : '—');
        out.push(
          `    ${int(g.buildRules).padStart(6)}   ${s(g.build.approvalToStoredMs).padStart(15)}   ` +
            `${s(g.build.buildMs).padStart(24)}   ${dur(get('compiling')).padStart(7)}   ${dur(get('case samples')).padStart(12)}` +
            `   ${(split.corpusMs !== undefined ? s(split.corpusMs) : '—').padStart(12)}` +
            `  ${(split.corpusMs !== undefined ? rate(2 * g.corpusBytes, split.corpusMs) : '—').padStart(10)}` +
            `  ${s(g.validation.ms).padStart(10)}` +
            (g.build.status === 'stored' ? '' : `  ${g.build.status.toUpperCase()}`),
        );
      }
      out.push(
        '    ¹ the case sample, scanned with both rulesets; part 3 has no regression collection (only the case ' +
          'sample), so its builds are comparable with earlier figures',
        '    ² both scans of every file (new and parent ruleset); per scan = 2 × corpus / stage time',
      );
      for (let i = 1; i < growth.length; i++) {
        const a = growth[i - 1];
        const b = growth[i];
        const rulesRatio = b.buildRules / a.buildRules;
        const timeRatio = b.build.buildMs / a.build.buildMs;
        const latencyRatio = b.build.approvalToStoredMs / a.build.approvalToStoredMs;
        out.push(
          `    ${int(a.buildRules)} → ${int(b.buildRules)} rules (×${rulesRatio.toFixed(1)}): build ×${timeRatio.toFixed(2)}, ` +
            `approval→stored ×${latencyRatio.toFixed(2)} (goal: build ≤ ${GROWTH_SLACK} × the rules' ratio = ` +
            `×${(GROWTH_SLACK * rulesRatio).toFixed(2)}) ${verdict(timeRatio <= GROWTH_SLACK * rulesRatio)}`,
        );
      }
      for (const g of growth) {
        out.push(
          `    ${int(g.buildRules)} rules: approval→stored ${s(g.build.approvalToStoredMs)} ` +
            `(goal < ${GOAL_SECONDS} s) ${verdict(g.build.status === 'stored' && g.build.approvalToStoredMs < GOAL_SECONDS * 1000)}; ` +
            `after the build ${serverText(g.build.after)}`,
        );
      }
      // not measured: the same build with the corpus of part 1, at the corpus rate measured for this size
      for (const g of growth) {
        const split = buildStages(g);
        if (split.corpusMs === undefined) continue;
        const fixed = g.build.buildMs - split.corpusMs;
        const projected = fixed + (split.corpusMs * full.corpusBytes) / g.corpusBytes;
        out.push(
          `    projection, not measured: ${int(g.buildRules)} rules with the ${(full.corpusBytes / MiB).toFixed(0)} MiB corpus ` +
            `of part 1 ≈ ${s(fixed)} + ${s(projected - fixed)} (corpus at this size's rate) = ${s(projected)} of build ` +
            `(+ ≈1.1 s window and queue)`,
        );
      }
      rmSync(growthDir, { recursive: true, force: true });
    }

    out.push('', 'server logs (warn and above):');
    for (const r of [full, ...growth]) {
      out.push(
        `  ${r.label}: ${r.problems.length ? `${r.problems.length} line(s)` : 'no warnings or errors'} (${r.logFile})`,
      );
      out.push(...r.problems.slice(0, 5).map((p) => `    ${p}`));
    }
    out.push(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(out.join('\n'));
  } finally {
    console.log('cleaning up ...');
    removeWork();
    process.off('exit', removeWork);
    if (existsSync(workDir)) console.error(`!! could not remove ${workDir}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
