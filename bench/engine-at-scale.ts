/**
 * sigdesk's engine against bare YARA-X with realistic rule packs (bench/support/realistic-rules.ts) on this
 * machine's real files, side by side in one run:
 *
 * - compile: sigdesk's compileRuleset (the checks, the engine process, saving the compiled rules) against a bare
 *   `compile()` of the same text in a child process: time (goal ≤ 1.15×) and peak memory of the process that holds
 *   the rules (goal ≤ 1.2×);
 * - opening the saved rules (what every other process does instead of compiling);
 * - scanning the corpus: sigdesk's scan pool (one engine, SIGDESK_SCAN_THREADS scans at once over one compiled
 *   copy, as a build's gate scans) against the best bare setup on all cores (one process per core, each with its
 *   own copy, files shared through a queue): goal ≥ 80 %.
 *
 *   npm run bench:engine                       # node -r ./bench/register.js bench/engine-at-scale.ts
 *   BENCH_RULES=2000 BENCH_CORPUS_MIB=64 npm run bench:engine   # a quick try
 *
 * Environment: BENCH_RULES (default 18000), BENCH_CORPUS_MIB (default 1024), BENCH_SEED (default 1), BENCH_THREADS
 * (default os.availableParallelism()), BENCH_COMPILE_RUNS (pairs of compiles, bare and sigdesk's in turn, default 3). Needs nothing but this machine; see bench/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileRuleset,
  openRuleset,
  scanVariables,
  YARA_X_PATH,
  type CompiledRuleset,
  type RuleSource,
} from '@sigdesk/detection';
import { envNumber, MiB, verdict } from './support/harness';
import { generatePacks } from './support/realistic-rules';
import { systemCorpus, type CorpusFile } from './support/system-corpus';

const COMPILE_TIME_GOAL = 1.15;
const COMPILE_MEMORY_GOAL = 1.2;
const SCAN_GOAL = 0.8;

const ruleCount = envNumber('BENCH_RULES', 18000);
const corpusMiB = envNumber('BENCH_CORPUS_MIB', 1024);
const seed = envNumber('BENCH_SEED', 1);
const threads = envNumber('BENCH_THREADS', availableParallelism());
const compileRuns = Math.max(1, Math.round(envNumber('BENCH_COMPILE_RUNS', 3)));

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const sec = (ms: number) => (ms / 1000).toFixed(1);
const mbs = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** VmHWM and VmData of a process, in MiB. */
function memoryOf(pid: number): { hwm: number; data: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { hwm: field('VmHWM'), data: field('VmData') };
}

/**
 * The bare side, in child processes of its own (plain JavaScript through `node -e`, YARA-X's binding required
 * directly): a compile of the text, and N processes scanning the corpus from a shared queue.
 */
const BARE_CHILD = `
const { readFileSync, writeFileSync } = require('node:fs');
const yarax = require(process.argv[1]);
const memory = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number(new RegExp(name + ':\\\\s+(\\\\d+)').exec(status)[1]) / 1024;
  return { hwm: field('VmHWM'), data: field('VmData') };
};
process.on('message', (m) => {
  if (m.type === 'compile') {
    const started = performance.now();
    const rules = yarax.compile(readFileSync(m.source, 'utf8'), { defineVariables: m.variables });
    const millis = performance.now() - started;
    if (m.saveTo) writeFileSync(m.saveTo, rules.serialize());
    process.send({ type: 'compiled', millis, memory: memory() });
  } else if (m.type === 'open') {
    global.rules = yarax.deserialize(readFileSync(m.path));
    process.send({ type: 'ready' });
  } else if (m.type === 'scan') {
    try { global.rules.scanFile(m.path, m.variables); } catch {}
    process.send({ type: 'scanned' });
  } else if (m.type === 'end') {
    process.exit(0);
  }
});
`;

/** A bare YARA-X process: the binding and nothing of sigdesk. */
function bareChild(yaraPath: string): ChildProcess {
  return spawn(process.execPath, ['-e', BARE_CHILD, yaraPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function main(): Promise<void> {
  log(`generating ${ruleCount.toLocaleString('en-US')} realistic rules (seed ${seed}) ...`);
  const packs = generatePacks({ rules: ruleCount, seed });
  const sources: RuleSource[] = packs.flatMap((p) => p.files.map((f) => ({ name: f.path, source: f.source })));
  const corpus = systemCorpus(corpusMiB * MiB);
  log(`corpus: ${corpus.files.length} files, ${(corpus.bytes / MiB).toFixed(0)} MiB`);
  const dir = mkdtempSync(join(tmpdir(), 'sigdesk-engine-bench-'));
  const out: string[] = [];
  try {
    // --- compile: bare and sigdesk's, alternately (the first of a pair runs on a machine the other has not yet
    // warmed or loaded), BENCH_COMPILE_RUNS pairs, medians compared
    const text = sources.map((s) => `\n${s.source}`).join('');
    writeFileSync(join(dir, 'rules.yar'), text);
    const variables = { filename: '', filepath: '', extension: '', filetype: '', owner: '' };
    const bareCompile = () =>
      new Promise<{ millis: number; memory: { hwm: number; data: number } }>((resolve, reject) => {
        const child = bareChild(YARA_X_PATH);
        child.on('error', reject);
        child.on('message', (m: { type: string; millis: number; memory: { hwm: number; data: number } }) => {
          if (m.type === 'compiled') {
            child.kill();
            resolve(m);
          }
        });
        child.send({ type: 'compile', source: join(dir, 'rules.yar'), variables, saveTo: join(dir, 'bare.yarc') });
      });
    const bareRuns: Array<{ millis: number; memory: { hwm: number; data: number } }> = [];
    const ourRuns: Array<{ millis: number; buildMillis: number; hwm: number }> = [];
    let outcome: Awaited<ReturnType<typeof compileRuleset>> | undefined;
    for (let run = 0; run < compileRuns; run++) {
      for (const side of run % 2 === 0 ? ['bare', 'sigdesk'] : ['sigdesk', 'bare']) {
        if (side === 'bare') {
          const bare = await bareCompile();
          bareRuns.push(bare);
          log(`[${run + 1}] bare compile ${sec(bare.millis)} s, VmHWM ${bare.memory.hwm.toFixed(0)} MiB`);
          continue;
        }
        const started = performance.now();
        outcome = await compileRuleset(sources, { saveTo: join(dir, 'sigdesk.yarc'), scanThreads: threads });
        const millis = performance.now() - started;
        if (!outcome.ruleset)
          throw new Error(`the rules do not compile: ${JSON.stringify(outcome.errors.slice(0, 3))}`);
        const hwm = memoryOf(outcome.ruleset.enginePid!).hwm;
        ourRuns.push({ millis, buildMillis: outcome.buildMillis ?? 0, hwm });
        log(
          `[${run + 1}] sigdesk compile ${sec(millis)} s (YARA-X's build ${sec(outcome.buildMillis ?? 0)} s), engine ` +
            `VmHWM ${hwm.toFixed(0)} MiB`,
        );
        await outcome.ruleset.close();
      }
    }
    const bare = {
      millis: median(bareRuns.map((r) => r.millis)),
      memory: { hwm: median(bareRuns.map((r) => r.memory.hwm)) },
    };
    const compileMs = median(ourRuns.map((r) => r.millis));
    const ours = { hwm: median(ourRuns.map((r) => r.hwm)) };
    outcome = outcome!;

    // --- open the saved rules
    const openStarted = performance.now();
    const ruleset: CompiledRuleset = await openRuleset(sources, outcome.ruleNames, outcome.saved!, {
      scanThreads: threads,
    });
    const openMs = performance.now() - openStarted;
    const opened = memoryOf(ruleset.enginePid!);
    log(`opened the saved rules in ${sec(openMs)} s, engine VmHWM ${opened.hwm.toFixed(0)} MiB`);

    // the files read once before either side scans, so that neither pays for the disk
    log('reading the corpus once into the page cache ...');
    for (const file of corpus.files) readFileSync(file.path);

    // --- scan: sigdesk's pool
    log(`sigdesk scan pool: one engine, ${threads} scans at once ...`);
    const scanStarted = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < corpus.files.length) {
        const file: CorpusFile = corpus.files[next++];
        await ruleset.scanFile(file.path, { variables: scanVariables({ name: file.path }) }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: threads }, worker));
    const oursScanMs = performance.now() - scanStarted;
    await ruleset.close();
    log(`sigdesk: ${mbs(corpus.bytes, oursScanMs).toFixed(1)} MB/s`);

    // --- scan: bare, one process per core
    log(`bare: ${threads} processes, each with its own copy, files from a queue ...`);
    const children = Array.from({ length: threads }, () => bareChild(YARA_X_PATH));
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('message', () => resolve());
            child.send({ type: 'open', path: join(dir, 'bare.yarc') });
          }),
      ),
    );
    const bareStarted = performance.now();
    let bareNext = 0;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            const send = () => {
              if (bareNext >= corpus.files.length) {
                child.send({ type: 'end' });
                return resolve();
              }
              const file = corpus.files[bareNext++];
              child.send({ type: 'scan', path: file.path, variables: scanVariables({ name: file.path }) });
            };
            child.on('message', send);
            send();
          }),
      ),
    );
    const bareScanMs = performance.now() - bareStarted;
    log(`bare: ${mbs(corpus.bytes, bareScanMs).toFixed(1)} MB/s`);

    const timeRatio = compileMs / bare.millis;
    const memoryRatio = ours.hwm / bare.memory.hwm;
    const scanRatio = mbs(corpus.bytes, oursScanMs) / mbs(corpus.bytes, bareScanMs);
    out.push(
      '',
      `sigdesk's engine at scale: ${outcome.ruleNames.length.toLocaleString('en-US')} rules (${sources.length} files), ` +
        `${corpus.files.length} files / ${(corpus.bytes / MiB).toFixed(0)} MiB; ${cpus().length} cores, load ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      `compile  medians of ${compileRuns} alternating pair(s): bare ${sec(bare.millis)} s, VmHWM ` +
        `${bare.memory.hwm.toFixed(0)} MiB | sigdesk ${sec(compileMs)} s (saving included; YARA-X's build ` +
        `${sec(median(ourRuns.map((r) => r.buildMillis)))} s), engine VmHWM ${ours.hwm.toFixed(0)} MiB`,
      `         runs: bare ${bareRuns.map((r) => sec(r.millis)).join(' / ')} s; sigdesk ` +
        `${ourRuns.map((r) => sec(r.millis)).join(' / ')} s`,
      `         time ×${timeRatio.toFixed(2)} (goal ≤ ${COMPILE_TIME_GOAL}) ${verdict(timeRatio <= COMPILE_TIME_GOAL)}; ` +
        `memory ×${memoryRatio.toFixed(2)} (goal ≤ ${COMPILE_MEMORY_GOAL}) ${verdict(memoryRatio <= COMPILE_MEMORY_GOAL)}`,
      `open     the saved rules (${(outcome.saved!.bytes / MiB).toFixed(1)} MiB) in ${sec(openMs)} s, ` +
        `VmHWM ${opened.hwm.toFixed(0)} MiB`,
      `scan     bare ${threads} processes ${mbs(corpus.bytes, bareScanMs).toFixed(1)} MB/s | sigdesk one engine, ` +
        `${threads} threads ${mbs(corpus.bytes, oursScanMs).toFixed(1)} MB/s: ${(scanRatio * 100).toFixed(0)} % ` +
        `(goal ≥ ${SCAN_GOAL * 100} %) ${verdict(scanRatio >= SCAN_GOAL)}`,
    );
    console.log(out.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
