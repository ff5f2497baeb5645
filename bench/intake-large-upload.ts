/**
 * Large-sample intake: how much slower is `POST /v1/submissions` of a big file than a plain S3 upload of the same
 * file, and how much memory does the API take while it streams it?
 *
 *   node -r ./bench/register.js bench/intake-large-upload.ts
 *
 * Each run sends the submission, then the plain PUT (sigdesk, plain, sigdesk, plain, ...), so that neither always
 * goes first on a machine that warms up or slows down; the ratio judged against the goal is the median submission
 * over the median PUT.
 *
 * Environment: BENCH_MIB (file size, default 200), BENCH_RUNS (default 3), BENCH_BUILD=1 (rebuild dist/ first).
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; see bench/README.md.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '@sigdesk/storage';
import {
  describeRun,
  ensureBuild,
  envNumber,
  MiB,
  multipartFromFile,
  post,
  printProblems,
  readProcStatus,
  resetPeakRss,
  RssSampler,
  sleep,
  startSigdesk,
  SUBMISSION_FIELDS,
  verdict,
} from './support/harness';

// the same as libs/storage/src/object-store.ts

const RATIO_GOAL = 1.5;
const RSS_GROWTH_GOAL_MIB = 64;

interface Run {
  putSeconds: number;
  submitSeconds: number;
  /** Seconds until the request body had been handed to the kernel (the server had read all but its buffers). */
  bodySentSeconds: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** Highest VmRSS sample while the request body was being sent (the server spooling it to disk). */
  rssReceivePeakMiB: number;
  /** Highest VmRSS sample after that (the server storing the sample in S3, the transaction, the reply). */
  rssStorePeakMiB: number;
  hwmMiB: number;
  /** VmHWM reset to the current RSS just before the upload: the true peak, between samples too. */
  hwmReset: boolean;
  rssSamples: number;
}

const mib = (kib: number) => kib / 1024;
const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** Writes `bytes` random bytes to `path`, 1 MiB at a time. */
function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w', 0o600);
  const chunk = Buffer.allocUnsafe(MiB);
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(chunk.length, bytes - written);
      randomFillSync(chunk, 0, n);
      written += writeSync(fd, chunk, 0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** New random bytes at the start of the file: a new SHA-256, so intake cannot skip it as already stored. */
function freshenHead(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, randomBytes(64 * 1024), 0, 64 * 1024, 0);
  } finally {
    closeSync(fd);
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function main() {
  const sizeMiB = envNumber('BENCH_MIB', 200);
  const runs = envNumber('BENCH_RUNS', 3);

  const workDir = await mkdtemp(join(tmpdir(), 'sigdesk-bench-large-'));
  try {
    await measure(workDir, sizeMiB, runs);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function measure(workDir: string, sizeMiB: number, runs: number) {
  const bytes = Math.round(sizeMiB * MiB);
  const MB = bytes / 1e6;
  const file = join(workDir, 'sample.bin');
  console.log(`writing ${sizeMiB} MiB of random bytes to ${file} ...`);
  writeRandomFile(file, bytes);

  ensureBuild();
  const machine = describeRun();
  console.log(machine);
  console.log('starting sigdesk (API + worker) ...');
  const sigdesk = await startSigdesk('intake-large-upload');
  const results: Run[] = [];
  try {
    console.log(`sigdesk ready at ${sigdesk.url} (pid ${sigdesk.pid}), S3 at ${sigdesk.s3.endpoint}`);
    const s3 = createS3Client(sigdesk.s3);
    try {
      for (let run = 1; run <= runs; run++) {
        freshenHead(file);
        const expectedSha256 = await sha256Of(file);

        // (a) the submission, streamed from disk
        await sleep(1000); // let the API (and the S3 server) settle after the previous run
        const before = readProcStatus(sigdesk.pid);
        const hwmReset = resetPeakRss(sigdesk.pid);
        const sampler = new RssSampler(sigdesk.pid, 50).start();
        const body = multipartFromFile(SUBMISSION_FIELDS, {
          field: 'sample',
          name: `large-${run}.bin`,
          path: file,
          size: bytes,
        });
        const result = await post(
          `${sigdesk.url}/v1/submissions`,
          { authorization: `Bearer ${sigdesk.customer.key}`, 'content-type': body.contentType },
          body.stream,
          body.length,
          { onSent: () => sampler.mark() },
        );
        const sampled = sampler.stop();
        const after = readProcStatus(sigdesk.pid);
        if (result.status !== 201) {
          throw new Error(`run ${run}: POST /v1/submissions answered ${result.status}: ${result.body.slice(0, 2000)}`);
        }
        const created = JSON.parse(result.body) as {
          reference: string;
          samples?: Array<{ sha256: string; size: number }>;
        };
        const stored = created.samples?.[0];
        if (stored?.sha256 !== expectedSha256 || stored.size !== bytes) {
          throw new Error(`run ${run}: the case's sample is ${JSON.stringify(stored)}, expected ${expectedSha256}`);
        }

        // (b) baseline, after the submission: a plain streamed PUT of the same file to the same S3 server
        await sleep(1000);
        const putStart = performance.now();
        await s3.send(
          new PutObjectCommand({
            Bucket: sigdesk.s3.bucket,
            Key: `bench/baseline-${run}-${expectedSha256}`,
            Body: createReadStream(file),
            ContentLength: statSync(file).size,
            ContentType: 'application/octet-stream',
          }),
        );
        const putSeconds = (performance.now() - putStart) / 1000;

        const outcome: Run = {
          putSeconds,
          submitSeconds: result.doneMs / 1000,
          bodySentSeconds: result.sentMs / 1000,
          rssBeforeMiB: mib(before.rssKiB),
          rssPeakMiB: mib(Math.max(sampled.peakKiB, hwmReset ? after.hwmKiB : 0)),
          rssReceivePeakMiB: mib(sampled.phasePeaksKiB[0]),
          rssStorePeakMiB: mib(sampled.phasePeaksKiB[1] ?? 0),
          hwmMiB: mib(after.hwmKiB),
          hwmReset,
          rssSamples: sampled.samples,
        };
        results.push(outcome);
        const growth = outcome.rssPeakMiB - outcome.rssBeforeMiB;
        console.log(
          `run ${run}: S3 PUT ${fixed(putSeconds)} s, submission ${fixed(outcome.submitSeconds)} s ` +
            `(body sent after ${fixed(outcome.bodySentSeconds)} s), case ${created.reference}, ` +
            `RSS ${fixed(outcome.rssBeforeMiB, 1)} -> peak ${fixed(outcome.rssPeakMiB, 1)} MiB (+${fixed(growth, 1)})`,
        );
      }
    } finally {
      s3.destroy();
    }

    // ---- report
    const ratio = (r: Run) => r.submitSeconds / r.putSeconds;
    const growth = (r: Run) => r.rssPeakMiB - r.rssBeforeMiB;
    const lowest = (f: (r: Run) => number) => Math.min(...results.map(f));
    const highest = (f: (r: Run) => number) => Math.max(...results.map(f));
    const best = { put: lowest((r) => r.putSeconds), submit: lowest((r) => r.submitSeconds), growth: lowest(growth) };
    const worst = {
      put: highest((r) => r.putSeconds),
      submit: highest((r) => r.submitSeconds),
      growth: highest(growth),
    };
    const median = (f: (r: Run) => number) => {
      const sorted = results.map(f).sort((a, b) => a - b);
      const middle = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    };
    const middle = { put: median((r) => r.putSeconds), submit: median((r) => r.submitSeconds) };
    // judged: the median submission over the median PUT (one slow run of either does not decide)
    const medianRatio = middle.submit / middle.put;

    const lines: string[] = [];
    const row = (label: string, values: string[]) =>
      lines.push(`${label.padEnd(40)}${values.map((v) => v.padStart(13)).join('')}`);
    const seconds = (f: (r: Run) => number) => results.map((r) => fixed(f(r)));
    const megabytes = (f: (r: Run) => number) => results.map((r) => fixed(MB / f(r), 1));
    const size = (f: (r: Run) => number) => results.map((r) => fixed(f(r), 1));

    lines.push('');
    lines.push(`== intake-large-upload: ${sizeMiB} MiB (${bytes} bytes; MB/s = 10^6 bytes/s), ${runs} run(s)`);
    lines.push(machine);
    row('', [...results.map((_, i) => `run ${i + 1}`), 'median', 'best', 'worst']);
    row('S3 PUT (one streamed PUT) s', [
      ...seconds((r) => r.putSeconds),
      fixed(middle.put),
      fixed(best.put),
      fixed(worst.put),
    ]);
    row('S3 PUT MB/s', [
      ...megabytes((r) => r.putSeconds),
      fixed(MB / middle.put, 1),
      fixed(MB / best.put, 1),
      fixed(MB / worst.put, 1),
    ]);
    row('submission, to the 201 s', [
      ...seconds((r) => r.submitSeconds),
      fixed(middle.submit),
      fixed(best.submit),
      fixed(worst.submit),
    ]);
    row(
      '  request body sent after s',
      seconds((r) => r.bodySentSeconds),
    );
    row('submission MB/s', [
      ...megabytes((r) => r.submitSeconds),
      fixed(MB / middle.submit, 1),
      fixed(MB / best.submit, 1),
      fixed(MB / worst.submit, 1),
    ]);
    row(`ratio submission/PUT (goal <= ${RATIO_GOAL})`, [
      ...results.map((r) => fixed(ratio(r))),
      `${fixed(medianRatio)} ${verdict(medianRatio <= RATIO_GOAL)}`,
    ]);
    row(
      'API RSS before MiB',
      size((r) => r.rssBeforeMiB),
    );
    row(
      'API RSS peak MiB',
      size((r) => r.rssPeakMiB),
    );
    row(
      '  peak while receiving the body MiB',
      size((r) => r.rssReceivePeakMiB),
    );
    row(
      '  peak after it (S3, commit) MiB',
      size((r) => r.rssStorePeakMiB),
    );
    row(`API RSS growth MiB (goal < ${RSS_GROWTH_GOAL_MIB})`, [
      ...results.map((r) => `${fixed(growth(r), 1)} ${verdict(growth(r) < RSS_GROWTH_GOAL_MIB)}`),
      `${fixed(median(growth), 1)} ${verdict(median(growth) < RSS_GROWTH_GOAL_MIB)}`,
      `${fixed(best.growth, 1)} ${verdict(best.growth < RSS_GROWTH_GOAL_MIB)}`,
      `${fixed(worst.growth, 1)} ${verdict(worst.growth < RSS_GROWTH_GOAL_MIB)}`,
    ]);
    row(
      'API VmHWM after MiB',
      results.map((r) => `${fixed(r.hwmMiB, 1)}${r.hwmReset ? '' : ' (life)'}`),
    );
    row(
      'VmRSS samples (every 50 ms)',
      results.map((r) => String(r.rssSamples)),
    );
    lines.push(
      results.every((r) => r.hwmReset)
        ? 'peak = max(VmRSS sampled every 50 ms, VmHWM reset via /proc/<pid>/clear_refs just before the upload)'
        : 'peak = max VmRSS sampled every 50 ms (VmHWM could not be reset: it is the peak over the process life)',
    );
    lines.push(
      "growth = peak - RSS just before that upload; memory kept from an earlier run lowers the later runs' growth",
    );
    lines.push(
      `ratio judged = median submission / median PUT = ${fixed(middle.submit)} / ${fixed(middle.put)} = ` +
        `${fixed(medianRatio)} (goal <= ${RATIO_GOAL}: ${verdict(medianRatio <= RATIO_GOAL)}); runs alternate ` +
        'submission, PUT, submission, PUT, ...',
    );
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
