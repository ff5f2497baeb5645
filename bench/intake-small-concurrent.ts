/**
 * Small-sample intake under concurrency: many clients submitting 10 KiB samples (new random bytes each time, so
 * every submission stores a new object) as fast as the API answers, for a fixed time.
 *
 *   node -r ./bench/register.js bench/intake-small-concurrent.ts
 *
 * Environment: BENCH_CLIENTS (default 32), BENCH_SECONDS (default 30), BENCH_KIB (sample size, default 10),
 * BENCH_WARMUP_SECONDS (default 3, not counted; 0 for none), BENCH_BUILD=1 (rebuild dist/ first).
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; see bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import {
  describeRun,
  ensureBuild,
  envNumber,
  multipartFromBuffer,
  post,
  printProblems,
  queryDatabase,
  readProcStatus,
  RssSampler,
  sleep,
  startSigdesk,
  SUBMISSION_FIELDS,
} from './support/harness';

interface Tally {
  latenciesMs: number[];
  /** Outcomes other than 201: HTTP status, or the network error code. */
  errors: Map<string, number>;
  /** The first response body (or error message) seen for each outcome, to show what went wrong. */
  firstError: Map<string, string>;
  created: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
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

async function main() {
  const clients = envNumber('BENCH_CLIENTS', 32);
  const seconds = envNumber('BENCH_SECONDS', 30);
  const sampleKiB = envNumber('BENCH_KIB', 10);
  const warmupRaw = process.env.BENCH_WARMUP_SECONDS;
  const warmup = warmupRaw === '0' ? 0 : envNumber('BENCH_WARMUP_SECONDS', 3);
  const sampleBytes = Math.round(sampleKiB * 1024);

  ensureBuild();
  const machine = describeRun();
  console.log(machine);
  console.log('starting sigdesk (API + worker) ...');
  const sigdesk = await startSigdesk('intake-small-concurrent');
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    console.log(`sigdesk ready at ${sigdesk.url} (pid ${sigdesk.pid}), S3 at ${sigdesk.s3.endpoint}`);
    const run = (durationS: number, tally: Tally | null) => {
      const until = performance.now() + durationS * 1000;
      return Promise.all(
        Array.from({ length: clients }, (_, i) =>
          client(sigdesk.url, sigdesk.customer.key, agent, sampleBytes, until, tally, i),
        ),
      );
    };

    if (warmup > 0) {
      console.log(`warm-up: ${clients} clients for ${warmup} s (not counted) ...`);
      await run(warmup, null);
    }
    const [casesBefore] = await queryDatabase<{ n: string }>(sigdesk.databaseUrl, 'SELECT count(*) AS n FROM cases');

    console.log(`measuring: ${clients} clients, ${sampleKiB} KiB samples, ${seconds} s ...`);
    const tally: Tally = { latenciesMs: [], errors: new Map(), firstError: new Map(), created: 0 };
    const rssBefore = readProcStatus(sigdesk.pid);
    const sampler = new RssSampler(sigdesk.pid, 50).start();
    const started = performance.now();
    await run(seconds, tally);
    const elapsed = (performance.now() - started) / 1000;
    const rss = sampler.stop();
    const rssAfter = readProcStatus(sigdesk.pid);

    // after the measurement: did every 201 become a case, and does the worker finish their intake jobs?
    const [casesAfter] = await queryDatabase<{ n: string }>(sigdesk.databaseUrl, 'SELECT count(*) AS n FROM cases');
    const [outboxAtEnd] = await queryDatabase<{ n: string }>(
      sigdesk.databaseUrl,
      'SELECT count(*) AS n FROM outbox WHERE dispatched_at IS NULL',
    );
    const drainStart = performance.now();
    let pendingIntake = -1;
    let pendingAtEnd = -1;
    while (performance.now() - drainStart < Math.max(60, seconds) * 1000) {
      const [row] = await queryDatabase<{ n: string }>(
        sigdesk.databaseUrl,
        'SELECT count(*) AS n FROM cases WHERE intake_completed_at IS NULL',
      );
      pendingIntake = Number(row.n);
      if (pendingAtEnd < 0) pendingAtEnd = pendingIntake;
      if (pendingIntake === 0) break;
      await sleep(500);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const sorted = [...tally.latenciesMs].sort((a, b) => a - b);
    const total = tally.latenciesMs.length;
    const failed = total - tally.created;
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const mibOf = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    const lines = [
      '',
      `== intake-small-concurrent: ${clients} clients, ${sampleKiB} KiB random samples, ${seconds} s ` +
        `(measured ${elapsed.toFixed(2)} s, after ${warmup} s of warm-up)`,
      machine,
      `submissions answered        ${total}`,
      `  201 created               ${tally.created}`,
      `  errors                    ${failed}${failed ? '' : ' (none)'}`,
      ...[...tally.errors.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([outcome, count]) => `    ${outcome.padEnd(24)}${count}   first: ${tally.firstError.get(outcome)}`),
      `submissions per second      ${(tally.created / elapsed).toFixed(1)} created/s (${(total / elapsed).toFixed(1)} answered/s)`,
      `latency p50                 ${ms(percentile(sorted, 50))}`,
      `latency p90                 ${ms(percentile(sorted, 90))}`,
      `latency p99                 ${ms(percentile(sorted, 99))}`,
      `latency max                 ${ms(sorted[sorted.length - 1] ?? NaN)}`,
      `latency mean                ${ms(total ? tally.latenciesMs.reduce((a, b) => a + b, 0) / total : NaN)}`,
      `API RSS                     before ${mibOf(rssBefore.rssKiB)}, peak ${mibOf(rss.peakKiB)}, ` +
        `after ${mibOf(rssAfter.rssKiB)}, VmHWM ${mibOf(rssAfter.hwmKiB)} (${rss.samples} samples)`,
      `API RSS over time            ${rssTimeline(rss.timeline, seconds)}`,
      `cases created in PostgreSQL ${Number(casesAfter.n) - Number(casesBefore.n)} during the measurement ` +
        `(201s counted: ${tally.created})`,
      `intake jobs                 ${pendingAtEnd} case(s) not yet intake-completed when the measurement ended ` +
        `(${outboxAtEnd.n} of them not yet relayed from the outbox to Redis); ` +
        (pendingIntake === 0
          ? `all done ${drainSeconds.toFixed(1)} s later`
          : `${pendingIntake} still not done ${drainSeconds.toFixed(0)} s later`),
    ];
    console.log(lines.join('\n'));
    console.log('');
    printProblems(sigdesk);
  } finally {
    console.log('cleaning up ...');
    agent.destroy();
    await sigdesk.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
