/**
 * Small-sample intake under concurrency, for any benchmark: `clients` loops, each posting one submission at a time
 * (`POST /v1/submissions`, a new random sample each time, so every submission stores a new object) over its own
 * keep-alive socket, for a fixed time; then the checks in PostgreSQL (a case for every 201) and the wait until the
 * worker has completed the intake of every case.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import {
  CpuAccount,
  cpuLine,
  CpuUse,
  multipartFromBuffer,
  post,
  ProcStatus,
  queryDatabase,
  readProcStatus,
  RssSampler,
  Sigdesk,
  sleep,
  SUBMISSION_FIELDS,
} from './harness';

export interface IntakeLoadSettings {
  clients: number;
  seconds: number;
  sampleBytes: number;
  /** Seconds of the same load before the measurement, not counted (0 for none). */
  warmupSeconds: number;
  /**
   * Wait after the warm-up until the worker has completed the intake of its cases, so that the measurement starts
   * with empty queues (default false: the measurement starts at once, with the warm-up's jobs still queued).
   */
  settleWarmup?: boolean;
  /** How long to wait for the intake of every case after the measurement (default max(60, 2 × seconds) s). */
  drainTimeoutSeconds?: number;
}

interface Tally {
  latenciesMs: number[];
  /** Outcomes other than 201: HTTP status, or the network error code. */
  errors: Map<string, number>;
  /** The first response body (or error message) seen for each outcome, to show what went wrong. */
  firstError: Map<string, string>;
  created: number;
}

export interface IntakeLoadResult {
  settings: IntakeLoadSettings;
  /** Measured time, s (from the start of the clients until the last request in flight was answered). */
  elapsedS: number;
  answered: number;
  created: number;
  errors: Array<{ outcome: string; count: number; first: string }>;
  /** created (201) per second of the measured time */
  createdPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  rssBefore: ProcStatus;
  rssAfter: ProcStatus;
  rssPeakKiB: number;
  rssSamples: number;
  /** VmRSS at every tenth of the measurement. */
  rssTimeline: string;
  /** The machine's processors during the measurement: this benchmark's share and other work's. */
  cpu: CpuUse;
  /** When the warm-up was settled: how long its intake took to finish after it ended (s). */
  warmupSettleS?: number;
  /** Cases the database gained during the measurement (against `created`, the 201s counted). */
  casesCreated: number;
  /** Cases not yet intake-completed when the measurement ended (all cases, the warm-up's included). */
  pendingAtEnd: number;
  /** Outbox rows not yet relayed to the queues when the measurement ended. */
  outboxPendingAtEnd: number;
  /** Cases still not intake-completed when the wait ended (0: all done). */
  pendingAfterDrain: number;
  /** From the end of the measurement until no case was left without its intake (polled every 250 ms), s. */
  drainS: number;
  /** Of the cases created during the measurement: how many the worker completed before it ended. */
  measuredCompletedDuringLoad: number;
  /** From the start of the measurement to the last intake completion of its cases (its timestamp in the database). */
  endToEndS: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function client(
  url: string,
  key: string,
  agent: http.Agent,
  sampleBytes: number,
  until: number,
  tally: Tally | null,
  id: number,
): Promise<void> {
  let n = 0;
  while (performance.now() < until) {
    const body = multipartFromBuffer(SUBMISSION_FIELDS, {
      field: 'sample',
      name: `small-${id}-${n++}.bin`,
      content: randomBytes(sampleBytes),
    });
    const start = performance.now();
    let outcome: string;
    let detail = '';
    try {
      const result = await post(
        `${url}/v1/submissions`,
        { authorization: `Bearer ${key}`, 'content-type': body.contentType },
        body.buffer,
        body.length,
        { agent },
      );
      outcome = String(result.status);
      detail = result.body;
    } catch (error) {
      outcome = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
      detail = (error as Error).message;
    }
    const latency = performance.now() - start;
    if (!tally) continue;
    tally.latenciesMs.push(latency);
    if (outcome === '201') {
      tally.created++;
    } else {
      tally.errors.set(outcome, (tally.errors.get(outcome) ?? 0) + 1);
      if (!tally.firstError.has(outcome)) tally.firstError.set(outcome, detail.slice(0, 500));
    }
  }
}

/** VmRSS at every tenth of the measurement: a steady climb under a steady load is worth a look. */
function rssTimeline(timeline: Array<{ ms: number; rssKiB: number }>, seconds: number): string {
  const marks: string[] = [];
  for (let tenth = 0; tenth <= 10; tenth++) {
    const at = (tenth / 10) * seconds * 1000;
    const sample = timeline.find((s) => s.ms >= at) ?? timeline[timeline.length - 1];
    if (sample) marks.push(`${(at / 1000).toFixed(seconds < 20 ? 1 : 0)}s:${(sample.rssKiB / 1024).toFixed(0)}`);
  }
  return `${marks.join(' ')} (MiB)`;
}

async function countPendingIntake(databaseUrl: string): Promise<number> {
  const [row] = await queryDatabase<{ n: string }>(
    databaseUrl,
    'SELECT count(*) AS n FROM cases WHERE intake_completed_at IS NULL',
  );
  return Number(row.n);
}

/** Polls until no case lacks its intake, or the timeout; returns the seconds waited and what is left. */
async function waitForIntake(
  databaseUrl: string,
  timeoutS: number,
): Promise<{ s: number; first: number; left: number }> {
  const start = performance.now();
  let first = -1;
  let left = -1;
  while (performance.now() - start < timeoutS * 1000) {
    left = await countPendingIntake(databaseUrl);
    if (first < 0) first = left;
    if (left === 0) break;
    await sleep(250);
  }
  return { s: (performance.now() - start) / 1000, first, left };
}

/**
 * Runs the load against a started sigdesk with a seeded customer; `log` gets a line when each phase starts. Reads
 * the database after the measurement only, never during it.
 */
export async function runIntakeLoad(
  sigdesk: Sigdesk,
  settings: IntakeLoadSettings,
  log: (line: string) => void = console.log,
): Promise<IntakeLoadResult> {
  const { clients, seconds, sampleBytes, warmupSeconds } = settings;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    const run = (durationS: number, tally: Tally | null) => {
      const until = performance.now() + durationS * 1000;
      return Promise.all(
        Array.from({ length: clients }, (_, i) =>
          client(sigdesk.url, sigdesk.customer.key, agent, sampleBytes, until, tally, i),
        ),
      );
    };

    let warmupSettleS: number | undefined;
    if (warmupSeconds > 0) {
      log(`warm-up: ${clients} clients for ${warmupSeconds} s (not counted) ...`);
      await run(warmupSeconds, null);
      if (settings.settleWarmup) {
        const settled = await waitForIntake(sigdesk.databaseUrl, 60);
        if (settled.left !== 0)
          throw new Error(`the warm-up's intake did not finish within 60 s (${settled.left} left)`);
        warmupSettleS = settled.s;
      }
    }
    const [casesBefore] = await queryDatabase<{ n: string }>(sigdesk.databaseUrl, 'SELECT count(*) AS n FROM cases');

    log(`measuring: ${clients} clients, ${sampleBytes / 1024} KiB samples, ${seconds} s ...`);
    const tally: Tally = { latenciesMs: [], errors: new Map(), firstError: new Map(), created: 0 };
    const rssBefore = readProcStatus(sigdesk.pid);
    const sampler = new RssSampler(sigdesk.pid, 50).start();
    // the PostgreSQL backends of the benchmark's database are its own (an embedded server's are its descendants)
    const cpuAccount = new CpuAccount(sigdesk.dataDir ? undefined : new URL(sigdesk.databaseUrl).pathname.slice(1));
    cpuAccount.start();
    const startedAt = new Date();
    const started = performance.now();
    await run(seconds, tally);
    const elapsedS = (performance.now() - started) / 1000;
    const endedAt = new Date();
    const cpu = cpuAccount.stop();
    const rss = sampler.stop();
    const rssAfter = readProcStatus(sigdesk.pid);

    // after the measurement: did every 201 become a case, and does the worker finish their intake jobs?
    const [casesAfter] = await queryDatabase<{ n: string }>(sigdesk.databaseUrl, 'SELECT count(*) AS n FROM cases');
    const [outboxAtEnd] = await queryDatabase<{ n: string }>(
      sigdesk.databaseUrl,
      'SELECT count(*) AS n FROM outbox WHERE dispatched_at IS NULL',
    );
    const drain = await waitForIntake(sigdesk.databaseUrl, settings.drainTimeoutSeconds ?? Math.max(60, 2 * seconds));
    // the cases of the measurement: created (by the API's clock, the same as this one) after it started
    const [measured] = await queryDatabase<{ during: string; last: Date | null; open: string }>(
      sigdesk.databaseUrl,
      `SELECT count(*) FILTER (WHERE intake_completed_at <= $2) AS during,
              max(intake_completed_at) AS last,
              count(*) FILTER (WHERE intake_completed_at IS NULL) AS open
         FROM cases WHERE created_at >= $1`,
      [startedAt, endedAt],
    );

    const sorted = [...tally.latenciesMs].sort((a, b) => a - b);
    const answered = tally.latenciesMs.length;
    return {
      settings,
      elapsedS,
      answered,
      created: tally.created,
      errors: [...tally.errors.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([outcome, count]) => ({ outcome, count, first: tally.firstError.get(outcome) ?? '' })),
      createdPerS: tally.created / elapsedS,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? NaN,
        mean: answered ? tally.latenciesMs.reduce((a, b) => a + b, 0) / answered : NaN,
      },
      rssBefore,
      rssAfter,
      rssPeakKiB: rss.peakKiB,
      rssSamples: rss.samples,
      rssTimeline: rssTimeline(rss.timeline, seconds),
      cpu,
      warmupSettleS,
      casesCreated: Number(casesAfter.n) - Number(casesBefore.n),
      pendingAtEnd: drain.first,
      outboxPendingAtEnd: Number(outboxAtEnd.n),
      pendingAfterDrain: drain.left,
      drainS: drain.s,
      measuredCompletedDuringLoad: Number(measured.during),
      endToEndS:
        Number(measured.open) === 0 && measured.last ? (measured.last.getTime() - startedAt.getTime()) / 1000 : null,
    };
  } finally {
    agent.destroy();
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** The figures of one load, one per line, as `intake-small-concurrent` prints them. */
export function intakeLoadLines(result: IntakeLoadResult): string[] {
  const failed = result.answered - result.created;
  return [
    `submissions answered        ${result.answered}`,
    `  201 created               ${result.created}`,
    `  errors                    ${failed}${failed ? '' : ' (none)'}`,
    ...result.errors.map(({ outcome, count, first }) => `    ${outcome.padEnd(24)}${count}   first: ${first}`),
    `submissions per second      ${result.createdPerS.toFixed(1)} created/s ` +
      `(${(result.answered / result.elapsedS).toFixed(1)} answered/s)`,
    `latency p50                 ${ms(result.latencyMs.p50)}`,
    `latency p90                 ${ms(result.latencyMs.p90)}`,
    `latency p99                 ${ms(result.latencyMs.p99)}`,
    `latency max                 ${ms(result.latencyMs.max)}`,
    `latency mean                ${ms(result.latencyMs.mean)}`,
    `API RSS                     before ${mib(result.rssBefore.rssKiB)}, peak ${mib(result.rssPeakKiB)}, ` +
      `after ${mib(result.rssAfter.rssKiB)}, VmHWM ${mib(result.rssAfter.hwmKiB)} (${result.rssSamples} samples)`,
    `API RSS over time            ${result.rssTimeline}`,
    `processors                  ${cpuLine(result.cpu)}`,
    `cases created in PostgreSQL ${result.casesCreated} during the measurement (201s counted: ${result.created})`,
    `intake jobs                 ${result.pendingAtEnd} case(s) not yet intake-completed when the measurement ended ` +
      `(${result.outboxPendingAtEnd} outbox row(s) not yet relayed to the queues); ` +
      (result.pendingAfterDrain === 0
        ? `all done ${result.drainS.toFixed(1)} s later`
        : `${result.pendingAfterDrain} still not done ${result.drainS.toFixed(0)} s later`),
  ];
}
