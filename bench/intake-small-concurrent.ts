/**
 * Small-sample intake under concurrency: many clients submitting 10 KiB samples (new random bytes each time, so
 * every submission stores a new object) as fast as the API answers, for a fixed time.
 *
 *   node -r ./bench/register.js bench/intake-small-concurrent.ts
 *
 * Environment: BENCH_CLIENTS (default 32), BENCH_SECONDS (default 30), BENCH_KIB (sample size, default 10),
 * BENCH_WARMUP_SECONDS (default 3, not counted; 0 for none), BENCH_BUILD=1 (rebuild dist/ first).
 * BENCH_QUEUES (redis, the default, or postgres: where the queues run).
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; see bench/README.md.
 */
import { describeRun, ensureBuild, envNumber, printProblems, startSigdesk } from './support/harness';
import { intakeLoadLines, runIntakeLoad } from './support/intake-load';

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
  try {
    console.log(
      `sigdesk ready at ${sigdesk.url} (pid ${sigdesk.pid}), S3 at ${sigdesk.s3.endpoint}, queues on ${sigdesk.queues}`,
    );
    const result = await runIntakeLoad(sigdesk, { clients, seconds, sampleBytes, warmupSeconds: warmup });
    const lines = [
      '',
      `== intake-small-concurrent: ${clients} clients, ${sampleKiB} KiB random samples, ${seconds} s ` +
        `(measured ${result.elapsedS.toFixed(2)} s, after ${warmup} s of warm-up), queues on ${sigdesk.queues}`,
      machine,
      ...intakeLoadLines(result),
    ];
    console.log(lines.join('\n'));
    console.log('');
    printProblems(sigdesk);
  } finally {
    console.log('cleaning up ...');
    await sigdesk.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
