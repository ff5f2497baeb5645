/**
 * Zero setup, measured: what the queues on PostgreSQL cost against Redis, how long sigdesk takes to start with
 * everything embedded (first start on an empty data folder, then again on it), and how much memory the process and
 * its embedded PostgreSQL hold.
 *
 *   node -r ./bench/register.js bench/zero-setup.ts
 *
 * 1. Queues: two runs of the small-intake load (bench/support/intake-load.ts), same settings, each on a sigdesk of its
 *    own with DATABASE_URL (the benchmark's database) and the harness's s3rver: the queues on Redis, then on
 *    PostgreSQL. Goal: PostgreSQL sustains at least 70 % of Redis's accepted submissions per second.
 * 2. Starts, fully embedded (no DATABASE_URL, REDIS_URL or S3_ENDPOINT, DATA_DIR a new temporary folder): the first
 *    start (initdb) and BENCH_STARTS more on the same folder, each timed from the spawn to "sigdesk is ready" on
 *    stdout and to the first 200 of /health/ready.
 * 3. Memory, fully embedded: RSS of the sigdesk process and of the embedded PostgreSQL (its postmaster and every
 *    process under it), idle after each start, and around the same load run on the last start.
 *
 * Environment: BENCH_SECONDS (each load, default 20), BENCH_CLIENTS (default 32), BENCH_KIB (default 10),
 * BENCH_WARMUP_SECONDS (default 3; 0 for none), BENCH_STARTS (starts after the first, default 3),
 * BENCH_IDLE_SECONDS (wait before reading idle memory, default 3), BENCH_ROUNDS (default 1: Redis then PostgreSQL;
 * 2: then PostgreSQL then Redis, and so on), BENCH_EMBEDDED_LOAD=0 (no load on the embedded sigdesk: no memory
 * figures after a load), BENCH_BUILD=1.
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 for part 1; see bench/README.md.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CpuAccount,
  Customer,
  describeRun,
  ensureBuild,
  envNumber,
  printProblems,
  processTreeMemory,
  QueueBackendKind,
  readProcStatus,
  Sigdesk,
  sleep,
  startSigdesk,
  TreeMemory,
  verdict,
} from './support/harness';
import { IntakeLoadResult, IntakeLoadSettings, intakeLoadLines, runIntakeLoad } from './support/intake-load';

const GOAL_RATIO = 0.7;

interface Memory {
  sigdeskKiB: number;
  postgres: TreeMemory | null;
}

interface StartFigures {
  label: string;
  readyLineMs: number;
  healthReadyMs: number;
  /** "embedded PostgreSQL ready" (initdb and the server's start before it), from the start's own log */
  postgresReadyMs: number | null;
  initialisingMs: number | null;
  stopMs: number | undefined;
  /** processor time of other work on the machine during the start (cores) */
  otherCores: number;
  idle: Memory;
  /** whether the postmaster was gone once sigdesk had stopped */
  postgresStopped: boolean;
}

const load1 = () => loadavg()[0].toFixed(2);
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const mib = (kib: number) => `${(kib / 1024).toFixed(1)}`;
const pad = (text: string, width: number) => text.padEnd(width);
const padLeft = (text: string, width: number) => text.padStart(width);

function memoryOf(sigdesk: Sigdesk): Memory {
  return {
    sigdeskKiB: readProcStatus(sigdesk.pid).rssKiB,
    postgres: sigdesk.postgresPid ? processTreeMemory(sigdesk.postgresPid) : null,
  };
}

function memoryRow(label: string, memory: Memory): string {
  const pg = memory.postgres;
  return (
    pad(label, 52) +
    padLeft(mib(memory.sigdeskKiB), 14) +
    (pg ? padLeft(String(pg.processes), 14) + padLeft(mib(pg.rssKiB), 14) + padLeft(mib(pg.pssKiB), 14) : '')
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 1. the queues

async function queueRun(kind: QueueBackendKind, settings: IntakeLoadSettings): Promise<IntakeLoadResult> {
  console.log(`\n-- queues on ${kind}: starting sigdesk (API + worker) ... (load average ${load1()})`);
  const sigdesk = await startSigdesk(`zero-setup-queues-${kind}`, { queues: kind });
  try {
    console.log(`sigdesk ready at ${sigdesk.url} (pid ${sigdesk.pid}), queues ${sigdesk.summary.queues}`);
    const result = await runIntakeLoad(sigdesk, settings, (line) => console.log(`${line} (load average ${load1()})`));
    console.log(intakeLoadLines(result).join('\n'));
    printProblems(sigdesk);
    return result;
  } finally {
    await sigdesk.close();
  }
}

interface Run {
  kind: QueueBackendKind;
  round: number;
  result: IntakeLoadResult;
}

const endToEnd = (r: IntakeLoadResult) => (r.endToEndS ? r.created / r.endToEndS : NaN);
const processed = (r: IntakeLoadResult) => r.measuredCompletedDuringLoad / r.elapsedS;
/** What a submission costs the machine, whatever other work took: 201s per processor-second of the benchmark. */
const perCore = (r: IntakeLoadResult) => r.createdPerS / r.cpu.ours;

/** Per second over several runs: the sums of the counts over the sums of the times. */
function pooled(
  results: IntakeLoadResult[],
  count: (r: IntakeLoadResult) => number,
  time: (r: IntakeLoadResult) => number,
) {
  return results.reduce((a, r) => a + count(r), 0) / results.reduce((a, r) => a + time(r), 0);
}

function comparisonLines(runs: Run[], embedded: IntakeLoadResult | null): string[] {
  const rounds = Math.max(...runs.map((r) => r.round));
  const columns: Array<{ title: string; result: IntakeLoadResult }> = runs.map((run) => ({
    title: `${run.kind === 'redis' ? 'Redis' : 'PostgreSQL'}${rounds > 1 ? ` #${run.round}` : ''}`,
    result: run.result,
  }));
  if (embedded) columns.push({ title: 'zero setup ¹', result: embedded });
  const row = (label: string, value: (r: IntakeLoadResult) => string) =>
    pad(label, 48) + columns.map((c) => padLeft(value(c.result), 15)).join('');
  const percent = (value: number) => `${(value * 100).toFixed(0)} %`;
  const of = (kind: QueueBackendKind) => runs.filter((r) => r.kind === kind).map((r) => r.result);
  const redis = of('redis');
  const postgres = of('postgres');
  const acceptedRatio =
    pooled(
      postgres,
      (r) => r.created,
      (r) => r.elapsedS,
    ) /
    pooled(
      redis,
      (r) => r.created,
      (r) => r.elapsedS,
    );
  const endToEndRatio =
    pooled(
      postgres,
      (r) => r.created,
      (r) => r.endToEndS ?? NaN,
    ) /
    pooled(
      redis,
      (r) => r.created,
      (r) => r.endToEndS ?? NaN,
    );
  const processedRatio =
    pooled(
      postgres,
      (r) => r.measuredCompletedDuringLoad,
      (r) => r.elapsedS,
    ) /
    pooled(
      redis,
      (r) => r.measuredCompletedDuringLoad,
      (r) => r.elapsedS,
    );
  const perCoreRatio =
    pooled(
      postgres,
      (r) => r.created,
      (r) => r.elapsedS * r.cpu.ours,
    ) /
    pooled(
      redis,
      (r) => r.created,
      (r) => r.elapsedS * r.cpu.ours,
    );
  const perRound = (ratio: (p: IntakeLoadResult, r: IntakeLoadResult) => number) =>
    rounds > 1
      ? ` (rounds: ${Array.from({ length: rounds }, (_, n) => percent(ratio(postgres[n], redis[n]))).join(', ')})`
      : '';
  return [
    pad('', 48) + columns.map((c) => padLeft(c.title, 15)).join(''),
    row('accepted (201) per s', (r) => r.createdPerS.toFixed(1)),
    row('latency p50, ms', (r) => r.latencyMs.p50.toFixed(1)),
    row('latency p99, ms', (r) => r.latencyMs.p99.toFixed(1)),
    row('latency max, ms', (r) => r.latencyMs.max.toFixed(1)),
    row('errors', (r) => String(r.answered - r.created)),
    row('a case for every 201', (r) => (r.casesCreated === r.created ? 'yes' : `NO (${r.casesCreated})`)),
    row('through intake during the load, per s', (r) => processed(r).toFixed(1)),
    row('left for the worker at the end', (r) => String(r.pendingAtEnd)),
    row('all through intake, s after the end', (r) =>
      r.pendingAfterDrain === 0 ? r.drainS.toFixed(1) : `${r.pendingAfterDrain} left`,
    ),
    row('end to end: 201s / (start → last intake), per s', (r) => endToEnd(r).toFixed(1)),
    row('API RSS peak, MiB', (r) => mib(r.rssPeakKiB)),
    row('cores busy during the load: this benchmark', (r) => r.cpu.ours.toFixed(2)),
    row('  accepted per core-second of this benchmark', (r) => perCore(r).toFixed(1)),
    row('  PostgreSQL/Redis server processes', (r) => r.cpu.servers.toFixed(2)),
    row('  other work on the machine', (r) => r.cpu.other.toFixed(2)),
    '',
    `PostgreSQL / Redis, accepted per s:              ${percent(acceptedRatio)}  ` +
      `${verdict(acceptedRatio >= GOAL_RATIO)} (goal ≥ ${percent(GOAL_RATIO)})` +
      perRound((p, r) => p.createdPerS / r.createdPerS),
    `PostgreSQL / Redis, end to end per s:            ${percent(endToEndRatio)}  ` +
      `(${verdict(endToEndRatio >= GOAL_RATIO)} against the same bar)` +
      perRound((p, r) => endToEnd(p) / endToEnd(r)),
    `PostgreSQL / Redis, through intake during load:  ${percent(processedRatio)}` +
      perRound((p, r) => processed(p) / processed(r)),
    `PostgreSQL / Redis, accepted per core-second:    ${percent(perCoreRatio)}` +
      perRound((p, r) => perCore(p) / perCore(r)),
    ...(rounds > 1 ? ['(over several rounds: the sums of the counts over the sums of the times)'] : []),
    ...(embedded
      ? [
          '¹ zero setup: embedded PostgreSQL (queues on it too) and embedded S3 in the sigdesk process, on the last ' +
            'start of part 2; not part of the goal',
        ]
      : []),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. and 3. the starts and the memory, fully embedded

async function embeddedStart(
  label: string,
  dataDir: string,
  idleSeconds: number,
  seed: boolean,
): Promise<{ sigdesk: Sigdesk; figures: Omit<StartFigures, 'stopMs' | 'postgresStopped'> }> {
  console.log(`\n-- ${label}: starting sigdesk fully embedded on ${dataDir} ... (load average ${load1()})`);
  const cpu = new CpuAccount().start();
  // LOG_LEVEL=info for the start's own lines (the embedded PostgreSQL's), which split the time
  const sigdesk = await startSigdesk(`zero-setup-${label.replace(/\W+/g, '-')}`, {
    embedded: { dataDir },
    seed,
    env: { LOG_LEVEL: 'info' },
  });
  const otherCores = cpu.stop().other;
  const event = (pattern: RegExp) => sigdesk.startup.events.find((e) => pattern.test(e.msg))?.ms ?? null;
  const figures = {
    label,
    readyLineMs: sigdesk.startup.readyLineMs,
    healthReadyMs: sigdesk.startup.healthReadyMs,
    initialisingMs: event(/^initialising the embedded PostgreSQL/),
    postgresReadyMs: event(/^embedded PostgreSQL ready/),
    otherCores,
    idle: { sigdeskKiB: NaN, postgres: null } as Memory,
  };
  console.log(
    `"sigdesk is ready" after ${s(figures.readyLineMs)}, /health/ready 200 after ${s(figures.healthReadyMs)}; ` +
      `PostgreSQL ${sigdesk.summary.PostgreSQL}`,
  );
  await sleep(idleSeconds * 1000);
  figures.idle = memoryOf(sigdesk);
  return { sigdesk, figures };
}

async function stopEmbedded(sigdesk: Sigdesk): Promise<{ stopMs: number | undefined; postgresStopped: boolean }> {
  printProblems(sigdesk);
  // the harness stops a postmaster that outlived sigdesk: look before it does
  const postmaster = sigdesk.postgresPid;
  await sigdesk.close();
  const postgresStopped = !postmaster || !existsSync(`/proc/${postmaster}`);
  return { stopMs: sigdesk.stopMs, postgresStopped };
}

async function main() {
  const clients = envNumber('BENCH_CLIENTS', 32);
  const seconds = envNumber('BENCH_SECONDS', 20);
  const sampleKiB = envNumber('BENCH_KIB', 10);
  const warmup = process.env.BENCH_WARMUP_SECONDS === '0' ? 0 : envNumber('BENCH_WARMUP_SECONDS', 3);
  const starts = process.env.BENCH_STARTS === '0' ? 0 : envNumber('BENCH_STARTS', 3);
  const idleSeconds = envNumber('BENCH_IDLE_SECONDS', 3);
  const embeddedLoad = process.env.BENCH_EMBEDDED_LOAD !== '0';
  const rounds = envNumber('BENCH_ROUNDS', 1);
  const settings: IntakeLoadSettings = {
    clients,
    seconds,
    sampleBytes: Math.round(sampleKiB * 1024),
    warmupSeconds: warmup,
    settleWarmup: true,
  };

  ensureBuild();
  const machine = describeRun();
  console.log(machine);
  const began = performance.now();

  // 1. the queues: Redis, then PostgreSQL; in further rounds the other way round, then again
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: QueueBackendKind[] = round % 2 ? ['redis', 'postgres'] : ['postgres', 'redis'];
    for (const kind of order) runs.push({ kind, round, result: await queueRun(kind, settings) });
  }
  // in the order of the columns: Redis, PostgreSQL of each round
  runs.sort((a, b) => a.round - b.round || (a.kind === 'redis' ? -1 : 1));

  // 2. and 3. fully embedded
  const dataDir = await mkdtemp(join(tmpdir(), 'sigdesk-bench-zero-setup-'));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  const startFigures: StartFigures[] = [];
  let embedded: IntakeLoadResult | null = null;
  const loadMemory: Array<[string, Memory]> = [];
  let peakPostgres: TreeMemory | null = null;
  try {
    let customer: Customer | undefined;
    for (let n = 0; n <= starts; n++) {
      const label = n === 0 ? 'first start (empty data folder)' : `start ${n + 1} (same data folder)`;
      // the first start seeds (after it is timed), the others use its customer
      const { sigdesk, figures } = await embeddedStart(label, dataDir, idleSeconds, n === 0);
      let stopped: Awaited<ReturnType<typeof stopEmbedded>>;
      try {
        if (n === 0) customer = sigdesk.customer;
        else sigdesk.customer = customer!;
        if (n === starts && embeddedLoad) {
          loadMemory.push([`idle ${idleSeconds} s after this start`, figures.idle]);
          // the postmaster's processes every second during the load (the sigdesk process is sampled by the load)
          const peaks = setInterval(() => {
            const now = processTreeMemory(sigdesk.postgresPid!);
            if (!peakPostgres || now.rssKiB > peakPostgres.rssKiB) peakPostgres = now;
          }, 1000);
          try {
            embedded = await runIntakeLoad(sigdesk, settings, (line) =>
              console.log(`${line} (load average ${load1()})`),
            );
          } finally {
            clearInterval(peaks);
          }
          console.log(intakeLoadLines(embedded).join('\n'));
          loadMemory.push(['after the load and its intake', memoryOf(sigdesk)]);
          await sleep(idleSeconds * 1000);
          loadMemory.push([`idle ${idleSeconds} s later`, memoryOf(sigdesk)]);
        }
      } finally {
        stopped = await stopEmbedded(sigdesk);
      }
      startFigures.push({ ...figures, ...stopped });
    }
  } finally {
    await removeDataDir();
  }

  // ---- the figures
  const out: string[] = [
    '',
    `== zero-setup: ${clients} clients, ${sampleKiB} KiB random samples, ${seconds} s per load ` +
      `(after ${warmup} s of warm-up whose intake finished first), ${rounds} round(s) per queue backend; ` +
      `${starts + 1} embedded starts`,
    machine,
    `load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, whole run ${((performance.now() - began) / 1000).toFixed(0)} s`,
    '',
    '-- 1. intake with the queues on Redis and on PostgreSQL (DATABASE_URL: 127.0.0.1:5432, s3rver of the harness)',
    ...comparisonLines(runs, embedded),
    '',
    '-- 2. starts, fully embedded (no DATABASE_URL, REDIS_URL, S3_ENDPOINT; DATA_DIR a new temporary folder)',
    pad('', 34) +
      padLeft('"ready" line', 14) +
      padLeft('/health 200', 14) +
      padLeft('PG initdb at', 14) +
      padLeft('PG ready at', 14) +
      padLeft('stop (SIGTERM)', 16) +
      padLeft('other work ²', 14),
    ...startFigures.map(
      (f) =>
        pad(f.label, 34) +
        padLeft(s(f.readyLineMs), 14) +
        padLeft(s(f.healthReadyMs), 14) +
        padLeft(s(f.initialisingMs), 14) +
        padLeft(s(f.postgresReadyMs), 14) +
        padLeft(s(f.stopMs), 16) +
        padLeft(f.otherCores.toFixed(2), 14) +
        (f.postgresStopped ? '' : '  !! PostgreSQL still running after sigdesk stopped'),
    ),
    '(times from the spawn of `node dist/apps/api/src/main.js --with-worker`; "PG initdb at" is when the start ' +
      'logged "initialising the embedded PostgreSQL", "PG ready at" when it accepted connections)',
    '² cores busy with other work on the machine during the start (not this benchmark, PostgreSQL or Redis)',
    '',
    `-- 3. memory, fully embedded, MiB (PostgreSQL: the postmaster and every process under it)`,
    pad('', 52) +
      padLeft('sigdesk RSS', 14) +
      padLeft('PG processes', 14) +
      padLeft('PG RSS (sum)', 14) +
      padLeft('PG PSS (sum)', 14),
    ...startFigures.map((f) => memoryRow(`idle ${idleSeconds} s after ${f.label}`, f.idle)),
    ...(embedded
      ? [
          memoryRow('during the load: peak', {
            sigdeskKiB: embedded.rssPeakKiB,
            postgres: peakPostgres,
          }),
          ...loadMemory.slice(1).map(([label, memory]) => memoryRow(label, memory)),
        ]
      : []),
    '(PG RSS counts the shared buffers once per process that touched them; PSS splits shared pages between them. ' +
      'The peak of PostgreSQL is the highest RSS sum of 1 s samples; the peak of sigdesk is of 50 ms samples.)',
  ];
  console.log(out.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
