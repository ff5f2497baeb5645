/**
 * Detection engine: how long does a signature database of 1,000 to 30,000 rules take to compile, does doubling the
 * rules at most double the time (goal: ×2.2 at most), and how fast does the compiled database scan files compared
 * with @litko/yara-x used directly (goal: ours at 80 % of it or more)?
 *
 *   node -r ./bench/register.js bench/detection-compile.ts
 *
 * Environment: BENCH_SIZES (default 1000,10000,20000,30000), BENCH_RUNS (compiles per size, default 3),
 * BENCH_CORPUS_MIB (default 256), BENCH_SCAN_PASSES (default 2). Needs nothing but this machine; see bench/README.md.
 */
import { loadYaraX, type YaraX } from '@sigdesk/detection';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRuleset, type CompiledRuleset, type RuleSource } from '@sigdesk/detection';
import { envNumber, MiB, verdict } from './support/harness';

const { compile } = loadYaraX();

const DOUBLING_GOAL = 2.2;
const THROUGHPUT_GOAL = 0.8;

const sizes = (process.env.BENCH_SIZES ?? '1000,10000,20000,30000').split(',').map(Number);
const runs = envNumber('BENCH_RUNS', 3);
const corpusMiB = envNumber('BENCH_CORPUS_MIB', 256);
const scanPasses = envNumber('BENCH_SCAN_PASSES', 2);

// a fixed seed: every run compiles and scans the same rules and files
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILIES = ['Emotet', 'Qakbot', 'AgentTesla', 'Formbook', 'Remcos', 'AsyncRAT', 'Lokibot', 'IcedID', 'Raccoon'];
const WORDS = ['invoke', 'payload', 'stager', 'beacon', 'loader', 'inject', 'persist', 'keylog', 'exfil', 'token'];
const WORDS_MORE = ['shell', 'crypt', 'ransom', 'miner', 'update', 'service', 'registry', 'socket', 'config', 'panel'];
const VOCABULARY = [...WORDS, ...WORDS_MORE];

interface GeneratedRules {
  sources: RuleSource[];
  /** a text string of some rules, planted in the corpus so that the scans find something */
  plants: string[];
}

/** `count` distinct rules of the usual shape: text and hex strings, some nocase or wide, a few kinds of condition. */
function generateRules(count: number, seed = 1): GeneratedRules {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const hex = (bytes: number) => Array.from({ length: bytes }, () => byteHex(random)).join(' ');
  const id = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
  const sources: RuleSource[] = [];
  const plants: string[] = [];
  for (let i = 0; i < count; i++) {
    const family = pick(FAMILIES);
    const name = `Trojan_Win32_${family}_${i}_${id(4)}`;
    const marker = `${pick(VOCABULARY)}_${id(8)}.dll`;
    if (i % 750 === 1) plants.push(marker); // an `any of them and filesize < 5MB` rule: the marker alone matches
    const condition = [
      'uint16(0) == 0x5A4D and 2 of them',
      'any of them and filesize < 5MB',
      '2 of ($s*) or all of ($h*)',
    ][i % 3];
    sources.push({
      name: `signatures/${family.toLowerCase()}/${name}.yar`,
      source: [
        `rule ${name} : trojan win32 {`,
        '  meta:',
        `    family = "${family}"`,
        `    sample = "${id(64)}"`,
        `    score = ${50 + (i % 50)}`,
        '  strings:',
        `    $s1 = "${marker}"${i % 3 === 0 ? ' nocase' : ''}`,
        `    $s2 = "C:\\\\ProgramData\\\\${id(6)}\\\\${pick(VOCABULARY)}.exe"${i % 5 === 0 ? ' wide ascii' : ''}`,
        `    $s3 = "/${pick(VOCABULARY)}/${id(10)}.php?id="`,
        `    $h1 = { ${hex(6)} ?? ${hex(4)} }`,
        `    $h2 = { ${hex(4)} [2-8] ${hex(3)} }`,
        '  condition:',
        `    ${condition}`,
        '}',
        '',
      ].join('\n'),
    });
  }
  return { sources, plants };
}

function byteHex(random: () => number): string {
  return Math.floor(random() * 256)
    .toString(16)
    .padStart(2, '0')
    .toUpperCase();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (value: number, digits = 2) => value.toFixed(digits);

interface CompileRun {
  /**
   * until compileRuleset resolves: the lexical checks here, then the whole compile by YARA-X in the ruleset's engine
   * process (it builds the rules there, and validates them only when the build fails)
   */
  checkSeconds: number;
  /** the engine process's own time for building the rules, as `ready()` reports it (part of the above) */
  buildSeconds: number;
  /** compileRuleset, then ready(): until the first scan can run (ready() finds the engine already built) */
  totalSeconds: number;
}

async function measureCompile(sources: RuleSource[]): Promise<{ run: CompileRun; ruleset: CompiledRuleset }> {
  const started = performance.now();
  const outcome = await compileRuleset(sources);
  if (!outcome.ruleset) throw new Error(`the generated rules do not compile: ${JSON.stringify(outcome.errors[0])}`);
  const checked = performance.now();
  const buildMillis = await outcome.ruleset.ready();
  const done = performance.now();
  return {
    run: {
      checkSeconds: (checked - started) / 1000,
      buildSeconds: buildMillis / 1000,
      totalSeconds: (done - started) / 1000,
    },
    ruleset: outcome.ruleset,
  };
}

/** Files of random bytes and of text (half each), 256 KiB to 16 MiB, with some rules' strings planted. */
function writeCorpus(dir: string, totalBytes: number, plants: string[]): string[] {
  const random = prng(7);
  const sizes = [256 * 1024, MiB, 4 * MiB, 16 * MiB, 512 * 1024, 2 * MiB, 8 * MiB];
  const files: string[] = [];
  for (let written = 0, n = 0; written < totalBytes; n++) {
    const size = Math.min(sizes[n % sizes.length], totalBytes - written);
    const text = n % 2 === 1;
    const data = text ? textBytes(size, random) : randomBytes(size, random);
    if (n % 3 === 0 && plants.length > 0) Buffer.from(plants[n % plants.length]).copy(data, Math.floor(size / 2));
    const path = join(dir, `sample-${String(n).padStart(4, '0')}.${text ? 'txt' : 'bin'}`);
    writeFileSync(path, data);
    files.push(path);
    written += size;
  }
  return files;
}

function randomBytes(size: number, random: () => number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE(Math.floor(random() * 4294967296), Math.min(i, size - 4));
  return data;
}

function textBytes(size: number, random: () => number): Buffer {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    const words = Array.from({ length: 4 + Math.floor(random() * 10) }, () => VOCABULARY[Math.floor(random() * 20)]);
    const line = `${new Date(1_790_000_000_000 + length).toISOString()} ${words.join(' ')} id=${Math.floor(random() * 1e9)}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

interface ScanPass {
  seconds: number;
  mbPerSecond: number;
  matches: number;
  /** the longest the event loop went without turning (a 10 ms interval) */
  longestGapMs: number;
}

async function measureScan(files: string[], bytes: number, scan: (path: string) => Promise<number>): Promise<ScanPass> {
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  let matches = 0;
  for (const file of files) matches += await scan(file);
  const ended = performance.now();
  clearInterval(ticker);
  const seconds = (ended - started) / 1000;
  return { seconds, mbPerSecond: bytes / 1e6 / seconds, matches, longestGapMs: Math.max(longest, ended - last) };
}

function describeMachine(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs/detection'], { encoding: 'utf8' });
    if (dirty.trim()) commit += ' (+ uncommitted libs/detection)';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return (
    `${new Date().toISOString()}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
    `commit ${commit}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

async function main(): Promise<void> {
  console.log(describeMachine());
  const scanSize = sizes.includes(10_000) ? 10_000 : sizes[Math.min(1, sizes.length - 1)];
  let scanRuleset: CompiledRuleset | undefined;
  let plants: string[] = [];
  const medians = new Map<number, CompileRun>();

  console.log(`\ncompile, ${runs} runs per size (median):`);
  console.log(
    '| rules | compileRuleset (checks + engine process), s | of which build (engine process), s | total, s | ms per rule | raw compile(), s |',
  );
  console.log(
    '| ----: | ------------------------------------------: | ---------------------------------: | -------: | ----------: | ---------------: |',
  );
  for (const size of sizes) {
    const generated = generateRules(size);
    const measured: CompileRun[] = [];
    for (let r = 0; r < runs; r++) {
      const { run, ruleset } = await measureCompile(generated.sources);
      measured.push(run);
      if (size === scanSize && !scanRuleset) {
        scanRuleset = ruleset;
        plants = generated.plants;
      } else {
        await ruleset.close();
      }
    }
    const rawStarted = performance.now();
    compile(generated.sources.map((s) => s.source).join('\n'), { enableIncludes: false });
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    const m: CompileRun = {
      checkSeconds: median(measured.map((x) => x.checkSeconds)),
      buildSeconds: median(measured.map((x) => x.buildSeconds)),
      totalSeconds: median(measured.map((x) => x.totalSeconds)),
    };
    medians.set(size, m);
    console.log(
      `| ${size} | ${fixed(m.checkSeconds)} | ${fixed(m.buildSeconds)} | ${fixed(m.totalSeconds)} | ` +
        `${fixed((m.totalSeconds * 1000) / size, 3)} | ${fixed(rawSeconds)} |`,
    );
  }

  const ratio = (from: number, to: number) => {
    const a = medians.get(from);
    const b = medians.get(to);
    return a && b ? b.totalSeconds / a.totalSeconds : undefined;
  };
  const doubling = ratio(10_000, 20_000);
  if (doubling !== undefined) {
    console.log(
      `\ndoubling 10k → 20k: total ×${fixed(doubling)} (goal ≤ ${DOUBLING_GOAL}) ${verdict(doubling <= DOUBLING_GOAL)}; ` +
        `compileRuleset ×${fixed(medians.get(20_000)!.checkSeconds / medians.get(10_000)!.checkSeconds)}, ` +
        `build ×${fixed(medians.get(20_000)!.buildSeconds / medians.get(10_000)!.buildSeconds)}`,
    );
  }
  const tripling = ratio(10_000, 30_000);
  if (tripling !== undefined) console.log(`10k → 30k: total ×${fixed(tripling)} (linear: ×3.00)`);

  if (!scanRuleset) return;
  const dir = mkdtempSync(join(tmpdir(), 'sigdesk-bench-detection-'));
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    const files = writeCorpus(dir, corpusMiB * MiB, plants);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    for (const file of files) await readFile(file); // into the page cache: both sides read from memory
    if (typeof scanRuleset.source !== 'string') throw new Error('the benchmark builds sources without namespaces');
    const raw = compile(scanRuleset.source, { enableIncludes: false }) as YaraX;
    raw.setMaxMatchesPerPattern(100);
    console.log(
      `\nscan: ${files.length} files, ${fixed(bytes / MiB, 0)} MiB (random and text, 256 KiB–16 MiB), ` +
        `${scanRuleset.ruleCount} rules, one file at a time, ${scanPasses} passes each:`,
    );
    console.log(
      '| pass | ours MB/s | longest event-loop gap, ms | raw scanFileAsync MB/s | longest event-loop gap, ms |',
    );
    console.log(
      '| ---: | --------: | -------------------------: | ---------------------: | -------------------------: |',
    );
    const ours: ScanPass[] = [];
    const direct: ScanPass[] = [];
    for (let pass = 1; pass <= scanPasses; pass++) {
      ours.push(await measureScan(files, bytes, async (file) => (await scanRuleset.scanFile(file)).matches.length));
      direct.push(await measureScan(files, bytes, async (file) => (await raw.scanFileAsync(file)).length));
      const [o, d] = [ours[pass - 1], direct[pass - 1]];
      console.log(
        `| ${pass} | ${fixed(o.mbPerSecond, 1)} | ${fixed(o.longestGapMs, 0)} | ${fixed(d.mbPerSecond, 1)} | ` +
          `${fixed(d.longestGapMs, 0)} |`,
      );
    }
    const bestOurs = Math.max(...ours.map((p) => p.mbPerSecond));
    const bestDirect = Math.max(...direct.map((p) => p.mbPerSecond));
    console.log(
      `\nbest: ours ${fixed(bestOurs, 1)} MB/s, raw ${fixed(bestDirect, 1)} MB/s, ratio ${fixed(bestOurs / bestDirect)} ` +
        `(goal ≥ ${THROUGHPUT_GOAL}) ${verdict(bestOurs / bestDirect >= THROUGHPUT_GOAL)}; ` +
        `rules matched per pass: ours ${ours[0].matches}, raw ${direct[0].matches}`,
    );
  } finally {
    await scanRuleset.close();
    cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
