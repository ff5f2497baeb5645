/**
 * Bare YARA-X with realistic rule packs on this machine's real files: how long 18,000 rules shaped like public packs
 * take to compile (in a namespace per file, and as one joined text), how much memory that takes, the size and
 * times of serialising and deserialising them, and how fast they scan a 1 GiB corpus of system binaries, shared
 * libraries and scripts: one process (the per-thread speed; goal 5.6–12.6 MB per CPU-second, within 1.5× of the
 * 8.4 MB/s measured with 18,657 public rules) and one process per core sharing the files through a queue. The same
 * figures for the simple generated rules of the build benchmarks, at the same count, for comparison.
 *
 *   npm run bench:rulesets                       # node -r ./bench/register.js bench/rule-packs.ts
 *   BENCH_RULES=2000 BENCH_CORPUS_MIB=64 npm run bench:rulesets   # a quick try
 *
 * Environment: BENCH_RULES (default 18000), BENCH_CORPUS_MIB (default 1024), BENCH_SEED (default 1),
 * BENCH_PROCESSES (the all-cores run, default os.availableParallelism()), BENCH_SIMPLE=0 (skip the simple rules).
 * Needs nothing but this machine; see bench/README.md.
 */
import { fork } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { loadYaraX } from '@sigdesk/detection';
import { envNumber, MiB, ROOT, verdict } from './support/harness';
import { generatePacks, RULE_VARIABLES, type RulePack } from './support/realistic-rules';
import type { ChildMessage, CompileReport, FileScanned, PackManifest, ScanOrder } from './support/rule-pack-child';
import { generateRules } from './support/simple-rules';
import { systemCorpus, type CorpusFile } from './support/system-corpus';

const GOAL_MBS = 8.4;
const GOAL_BAND = [GOAL_MBS / 1.5, GOAL_MBS * 1.5] as const;
const SIMPLE_RULES_PER_FILE = 100;
const PROGRESS_MS = 10_000;

const ruleCount = envNumber('BENCH_RULES', 18000);
const corpusMiB = envNumber('BENCH_CORPUS_MIB', 1024);
const seed = envNumber('BENCH_SEED', 1);
const processes = envNumber('BENCH_PROCESSES', availableParallelism());
const withSimple = process.env.BENCH_SIMPLE !== '0';

const CHILD = join(__dirname, 'support', 'rule-pack-child.ts');
const REGISTER = join(__dirname, 'register.js');

const mb = (bytes: number) => bytes / 1e6;
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const sec = (ms: number) => (ms / 1000).toFixed(1);
const int = (n: number) => n.toLocaleString('en-US');
const rate = (bytes: number, ms: number) => (ms > 0 ? mb(bytes) / (ms / 1000) : 0);
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---------------------------------------------------------------------------------------------------------------
// the rules on disk

interface Ruleset {
  label: string;
  manifest: string;
  files: number;
  rules: number;
  bytes: number;
  withVariables: boolean;
}

function writePacks(dir: string, packs: RulePack[]): Ruleset {
  const manifest: PackManifest = { files: [], variables: { ...RULE_VARIABLES } };
  let rules = 0;
  let bytes = 0;
  for (const file of packs.flatMap((p) => p.files)) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.source);
    manifest.files.push({ path, namespace: file.namespace });
    rules += file.rules;
    bytes += Buffer.byteLength(file.source);
  }
  const manifestPath = join(dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return {
    label: 'realistic',
    manifest: manifestPath,
    files: manifest.files.length,
    rules,
    bytes,
    withVariables: true,
  };
}

function writeSimple(dir: string, count: number): Ruleset {
  const rules = generateRules(count, seed);
  const manifest: PackManifest = { files: [], variables: {} };
  let bytes = 0;
  for (let i = 0; i < rules.length; i += SIMPLE_RULES_PER_FILE) {
    const source = rules
      .slice(i, i + SIMPLE_RULES_PER_FILE)
      .map((r) => r.source)
      .join('\n\n');
    const path = join(dir, `simple_${String(i / SIMPLE_RULES_PER_FILE).padStart(4, '0')}.yar`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, source);
    manifest.files.push({ path, namespace: `simple_${i / SIMPLE_RULES_PER_FILE}` });
    bytes += Buffer.byteLength(source);
  }
  const manifestPath = join(dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return {
    label: 'simple',
    manifest: manifestPath,
    files: manifest.files.length,
    rules: rules.length,
    bytes,
    withVariables: false,
  };
}

/** Every generated file must compile on its own; the first failures are printed with their file and the run stops. */
function checkEachFile(packs: RulePack[]): void {
  const { validate } = loadYaraX();
  const failures: string[] = [];
  for (const file of packs.flatMap((p) => p.files)) {
    const { errors } = validate(file.source, { defineVariables: { ...RULE_VARIABLES } });
    if (errors.length) failures.push(`${file.path}: ${errors[0].message}`);
  }
  if (failures.length) {
    console.error(
      `!! ${failures.length} generated file(s) do not compile; the first:\n${failures.slice(0, 3).join('\n')}`,
    );
    throw new Error('the realistic rule generator produced files that YARA-X refuses');
  }
}

/** What the packs contain, counted in their text, so that the mixture can be read beside the speed. */
function mixture(packs: RulePack[]): string[] {
  const text = packs.flatMap((p) => p.files.map((f) => f.source)).join('\n');
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const patterns = count(/^ {8}\$\w+ = /gm);
  const share = (n: number) => `${int(n)} (${((100 * n) / patterns).toFixed(1)} %)`;
  return [
    ...packs.map(
      (p) => `  ${p.name}: ${int(p.files.length)} files, ${int(p.files.reduce((a, f) => a + f.rules, 0))} rules`,
    ),
    `  patterns ${int(patterns)}: text ${share(count(/^ {8}\$\w+ = "/gm))}, hex ${share(count(/^ {8}\$\w+ = \{/gm))}, ` +
      `regex ${share(count(/^ {8}\$\w+ = \//gm))}`,
    `  text modifiers: nocase ${int(count(/^ {8}\$\w+ = ".*" .*nocase/gm))}, wide ${int(count(/^ {8}\$\w+ = ".*" .*wide/gm))}, ` +
      `fullword ${int(count(/ fullword$/gm))}, xor ${int(count(/ xor\(/g))}, base64 ${int(count(/ base64/g))}`,
    `  hex with jumps ${int(count(/^ {8}\$h\d+ = \{.*\[\d+-\d+\]/gm))}, with alternatives ${int(count(/^ {8}\$h\d+ = \{.*\(/gm))}`,
    `  private helpers ${int(count(/^private rule /gm))}, rules using them ${int(count(/ {8}\w+_helper\d and /g))}; ` +
      `conditions with pe. ${int(count(/^ {8}.*\bpe\./gm))}, math. ${int(count(/^ {8}.*\bmath\./gm))}, ` +
      `hash. ${int(count(/^ {8}.*\bhash\./gm))}, loops ${int(count(/^ {8}.*\bfor (any|all) /gm))}, ` +
      `external variables ${int(count(/^ {8}.*\b(filename|filepath|extension) /gm))}`,
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// child processes

function startChild(args: string[]) {
  return fork(CHILD, args, { execArgv: ['-r', REGISTER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function compileInChild(ruleset: Ruleset, mode: 'namespaces' | 'joined', out: string): Promise<CompileReport> {
  return new Promise((resolve, reject) => {
    const child = startChild(['compile', ruleset.manifest, mode, out]);
    let report: CompileReport | undefined;
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'compiled') report = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report) resolve(report);
      else
        reject(
          new Error(`the ${mode} compile of the ${ruleset.label} rules ended (${signal ?? code}) without a result`),
        );
    });
  });
}

interface ProcessFigures {
  files: number;
  bytes: number;
  cpuMs: number;
  wallMs: number;
  deserializeMs: number;
  peakRss: number;
}

interface ScanRun {
  processes: ProcessFigures[];
  wallMs: number;
  perFile: (FileScanned & { path: string; size: number; process: number })[];
}

/** `count` scan processes, each deserialising the rules once; the files go to whichever process is free. */
function scanInChildren(rulesPath: string, ruleset: Ruleset, files: CorpusFile[], count: number, label: string) {
  return new Promise<ScanRun>((resolve, reject) => {
    const totalBytes = files.reduce((a, f) => a + f.size, 0);
    const figures: ProcessFigures[] = [];
    const perFile: ScanRun['perFile'] = [];
    let next = 0;
    let ready = 0;
    let finished = 0;
    let started = 0;
    let scannedBytes = 0;
    let progress: NodeJS.Timeout | undefined;
    const children = Array.from({ length: count }, (_, n) => {
      figures.push({ files: 0, bytes: 0, cpuMs: 0, wallMs: 0, deserializeMs: 0, peakRss: 0 });
      const child = startChild(['scan', rulesPath, ruleset.withVariables ? 'vars' : 'novars']);
      const give = () => {
        const order: ScanOrder = next < files.length ? { index: next, path: files[next++].path } : { end: true };
        child.send(order);
      };
      child.on('message', (message: ChildMessage) => {
        if (message.kind === 'ready') {
          figures[n].deserializeMs = message.deserializeMs;
          if (++ready === count) {
            started = performance.now();
            progress = setInterval(() => {
              const ms = performance.now() - started;
              log(
                `  ${label}: ${int(perFile.length)}/${int(files.length)} files, ${mb(scannedBytes).toFixed(0)}/` +
                  `${mb(totalBytes).toFixed(0)} MB, ${rate(scannedBytes, ms).toFixed(1)} MB/s so far`,
              );
            }, PROGRESS_MS);
            children.forEach((c) => c.give());
          }
        } else if (message.kind === 'scanned') {
          const file = files[message.index];
          perFile.push({ ...message, path: file.path, size: file.size, process: n });
          figures[n].files++;
          figures[n].bytes += file.size;
          scannedBytes += file.size;
          give();
        } else if (message.kind === 'done') {
          figures[n].cpuMs = message.cpuMs;
          figures[n].wallMs = message.wallMs;
          figures[n].peakRss = message.peakRss;
          if (++finished === count) {
            clearInterval(progress);
            resolve({ processes: figures, wallMs: performance.now() - started, perFile });
          }
        }
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (code !== 0 || signal) {
          clearInterval(progress);
          reject(new Error(`scan process ${n} of ${label} ended (${signal ?? code})`));
        }
      });
      return { give };
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// the run

interface RulesetResult {
  ruleset: Ruleset;
  namespaces: CompileReport;
  joined: CompileReport;
  single: ScanRun;
  all?: ScanRun;
}

async function measure(ruleset: Ruleset, dir: string, corpus: CorpusFile[], allCores: boolean): Promise<RulesetResult> {
  log(`${ruleset.label}: compiling ${int(ruleset.rules)} rules in ${int(ruleset.files)} namespaces ...`);
  const rulesPath = join(dir, `${ruleset.label}.bin`);
  const namespaces = await compileInChild(ruleset, 'namespaces', rulesPath);
  log(`  ${sec(namespaces.wallMs)} s (CPU ${sec(namespaces.cpuMs)} s), peak RSS ${mib(namespaces.peakRss)} MiB`);
  log(`${ruleset.label}: compiling the same as one joined text ...`);
  const joined = await compileInChild(ruleset, 'joined', join(dir, `${ruleset.label}-joined.bin`));
  log(`  ${sec(joined.wallMs)} s (CPU ${sec(joined.cpuMs)} s), peak RSS ${mib(joined.peakRss)} MiB`);
  log(`${ruleset.label}: scanning the corpus in one process ...`);
  const single = await scanInChildren(rulesPath, ruleset, corpus, 1, `${ruleset.label}, 1 process`);
  const p = single.processes[0];
  log(`  ${rate(p.bytes, p.wallMs).toFixed(1)} MB/s, ${rate(p.bytes, p.cpuMs).toFixed(1)} MB per CPU-second`);
  let all: ScanRun | undefined;
  if (allCores) {
    log(`${ruleset.label}: scanning the corpus in ${processes} processes ...`);
    all = await scanInChildren(rulesPath, ruleset, corpus, processes, `${ruleset.label}, ${processes} processes`);
    log(`  ${rate(sum(all.processes, 'bytes'), all.wallMs).toFixed(1)} MB/s in total`);
  }
  return { ruleset, namespaces, joined, single, all };
}

const sum = (list: ProcessFigures[], key: keyof ProcessFigures) => list.reduce((a, p) => a + p[key], 0);

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((cell, c) => (c ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(' | ')} |`;
  return [
    line(rows[0]),
    `| ${widths.map((w, c) => (c ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ];
}

function report(results: RulesetResult[], corpusBytes: number): string[] {
  const column = (f: (r: RulesetResult) => string) => results.map(f);
  const single = (r: RulesetResult) => r.single.processes[0];
  const perCpu = (r: RulesetResult) => rate(single(r).bytes, single(r).cpuMs);
  const rows: string[][] = [
    ['', ...results.map((r) => r.ruleset.label)],
    ['rules (with private helpers), files', ...column((r) => `${int(r.ruleset.rules)}, ${int(r.ruleset.files)}`)],
    ['source size, MiB', ...column((r) => (r.ruleset.bytes / MiB).toFixed(1))],
    ['compile, namespaces: wall / CPU s', ...column((r) => `${sec(r.namespaces.wallMs)} / ${sec(r.namespaces.cpuMs)}`)],
    [
      '  RSS before / peak, VmData after, MiB',
      ...column((r) => `${mib(r.namespaces.rssBefore)} / ${mib(r.namespaces.peakRss)}, ${mib(r.namespaces.vmData)}`),
    ],
    ['compile, joined text: wall / CPU s', ...column((r) => `${sec(r.joined.wallMs)} / ${sec(r.joined.cpuMs)}`)],
    [
      '  RSS before / peak, VmData after, MiB',
      ...column((r) => `${mib(r.joined.rssBefore)} / ${mib(r.joined.peakRss)}, ${mib(r.joined.vmData)}`),
    ],
    ['compiler warnings (namespaces)', ...column((r) => int(r.namespaces.warnings))],
    [
      'serialized: MiB, serialize s',
      ...column((r) => `${(r.namespaces.serializedBytes / MiB).toFixed(1)}, ${sec(r.namespaces.serializeMs)}`),
    ],
    [
      'deserialize s, RSS of a scan process MiB',
      ...column((r) => `${sec(single(r).deserializeMs)}, ${mib(single(r).peakRss)}`),
    ],
    [
      '1 process: wall s, MB/s',
      ...column((r) => `${sec(single(r).wallMs)}, ${rate(single(r).bytes, single(r).wallMs).toFixed(1)}`),
    ],
    ['1 process: CPU s, MB per CPU-second', ...column((r) => `${sec(single(r).cpuMs)}, ${perCpu(r).toFixed(1)}`)],
    [
      `  goal ${GOAL_BAND[0].toFixed(1)}–${GOAL_BAND[1].toFixed(1)} MB per CPU-second`,
      ...column((r) =>
        r.ruleset.label === 'realistic' ? verdict(perCpu(r) >= GOAL_BAND[0] && perCpu(r) <= GOAL_BAND[1]) : '-',
      ),
    ],
    [
      `${processes} processes: wall s, MB/s total`,
      ...column((r) => (r.all ? `${sec(r.all.wallMs)}, ${rate(corpusBytes, r.all.wallMs).toFixed(1)}` : '-')),
    ],
    [
      '  per process: MB/s, MB per CPU-second',
      ...column((r) =>
        r.all
          ? r.all.processes
              .map((p) => `${rate(p.bytes, p.wallMs).toFixed(1)}/${rate(p.bytes, p.cpuMs).toFixed(1)}`)
              .join(', ')
          : '-',
      ),
    ],
    [
      'corpus files matched by a rule',
      ...column((r) => `${int(r.single.perFile.filter((f) => f.rules > 0).length)} of ${int(r.single.perFile.length)}`),
    ],
    ['scan errors', ...column((r) => int(r.single.perFile.filter((f) => f.error).length))],
  ];
  const simple = results.find((r) => r.ruleset.label === 'simple');
  if (simple)
    rows.push(['MB per CPU-second: simple / this', ...column((r) => `${(perCpu(simple) / perCpu(r)).toFixed(2)}×`)]);
  return table(rows);
}

function scanErrors(result: RulesetResult): string[] {
  const failed = result.single.perFile.filter((f) => f.error);
  if (!failed.length) return [];
  return [
    `scan errors of the ${result.ruleset.label} rules (1 process): ${failed.length}`,
    ...failed.slice(0, 5).map((f) => `  ${f.path}: ${f.error}`),
  ];
}

function slowest(result: RulesetResult): string[] {
  const files = [...result.single.perFile].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 10);
  return [
    `the 10 slowest files of the ${result.ruleset.label} rules (1 process, by CPU time):`,
    ...files.map(
      (f) =>
        `  ${sec(f.cpuMs).padStart(6)} s CPU ${sec(f.wallMs).padStart(6)} s wall ${(f.size / MiB).toFixed(1).padStart(6)} MiB ` +
        `${rate(f.size, f.cpuMs).toFixed(1).padStart(6)} MB/CPU-s  ${f.rules} rules  ${f.path}`,
    ),
  ];
}

function describeMachine(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', 'bench'], { cwd: ROOT, encoding: 'utf8' }).trim())
      commit += ' (+ uncommitted changes in bench/)';
  } catch {
    // not a git checkout
  }
  return (
    `${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), ` +
    `${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, commit ${commit}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
}

async function main() {
  console.log(describeMachine());
  const dir = mkdtempSync(join(tmpdir(), 'sigdesk-rule-packs-'));
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    log(`generating ${int(ruleCount)} realistic rules (seed ${seed}) ...`);
    const packs = generatePacks({ rules: ruleCount, seed });
    const realistic = writePacks(join(dir, 'realistic'), packs);
    console.log(mixture(packs).join('\n'));
    log(`checking that each of the ${int(realistic.files)} files compiles on its own ...`);
    checkEachFile(packs);
    const rulesets = [realistic, ...(withSimple ? [writeSimple(join(dir, 'simple'), ruleCount)] : [])];

    log(`picking a ${corpusMiB} MiB corpus of this machine's files ...`);
    const corpus = systemCorpus(corpusMiB * MiB);
    for (const s of corpus.sources) console.log(`  ${s.name}: ${int(s.files)} files, ${mib(s.bytes)} MiB`);
    log(
      `reading the corpus once (${int(corpus.files.length)} files, ${mib(corpus.bytes)} MiB), so that every scan reads it from the page cache ...`,
    );
    for (const file of corpus.files) readFileSync(file.path);

    const results: RulesetResult[] = [];
    for (const ruleset of rulesets) results.push(await measure(ruleset, dir, corpus.files, true));

    console.log(`\n${describeMachine()}`);
    console.log(
      `${int(ruleCount)} public rules a ruleset, seed ${seed}; corpus ${int(corpus.files.length)} files, ` +
        `${mib(corpus.bytes)} MiB (${corpus.sources.map((s) => `${s.name} ${mib(s.bytes)}`).join(', ')} MiB); MB = 10⁶ bytes\n`,
    );
    console.log(report(results, corpus.bytes).join('\n'));
    console.log('');
    for (const result of results) console.log([...scanErrors(result), ...slowest(result)].join('\n'));
  } finally {
    cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
