/**
 * Rule pack imports end to end, with rules that scan like real ones: the three realistic packs of
 * bench/rule-packs.ts (support/realistic-rules.ts, 18,000 public rules by default) imported one pack at a time as a
 * lab would (`POST /v1/admin/rulesets/import`, a tar.gz each), each analysed (its files compiled together, each
 * file's share of the scan cost on a sample of the clean corpus, every rule's clean-corpus hits), accepted without its flagged
 * rules, validated and approved; then the scheduled build of all three on top of release 1, and an MSA Start
 * expedited build of one new rule on top of that database (goal: approval → stored under 60 s).
 *
 * The clean corpus is this machine's files (support/system-corpus.ts, as bench/rule-packs.ts), put straight into
 * S3 under `corpus/<sha[0:2]>/<sha>` and registered in `clean_corpus_files` with `pg`, as bench/database-build.ts
 * does (`POST /v1/admin/clean-corpus` would spool and hash every file again). The scheduled build is asked for the
 * way the worker's scheduler does it: a `builds.request-scheduled-builds` job added to the run's BullMQ `builds`
 * queue (so the queues must be on Redis, the default). YARA-X runs in child processes of the server (process title
 * `sigdesk-yara-engine`): their CPU (utime + stime) and RSS are sampled every 250 ms and reported per phase.
 *
 * When that build fails its clean-corpus gate although each pack passed it alone (YARA-X 1.20's shared-pattern
 * regression: see bench/README.md), the packs are compiled together as the build does, the rules that detect clean
 * files made private, and the packs imported again under their names, replacing the last (BENCH_CLEAN_AS_WHOLE).
 * Figures in bench/README.md (at full size: the expedited build on 21,262 rules, approval → stored 2.8 s).
 *
 *   npm run bench:import                                                # node -r ./bench/register.js bench/rule-pack-import.ts
 *   BENCH_RULES=1500 BENCH_CORPUS_MIB=64 npm run bench:import          # a quick try (a few minutes)
 *
 * Environment: BENCH_RULES (public rules over the three packs, default 18000), BENCH_CORPUS_MIB (clean corpus,
 * default 1024), BENCH_SEED (rules, default 1), BENCH_BUILD=1, BENCH_RETRY_WITHOUT_WARNED=0, BENCH_CLEAN_AS_WHOLE
 * (0: never; always: even when the build passed, every pack imported again, to try the step on a small run).
 * Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see bench/README.md) and about 3 GiB of temporary
 * disk for the 1 GiB corpus (s3rver's copy, the server's object cache).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { compileRuleset, loadYaraX, scanVariables, type RuleSource } from '@sigdesk/detection';
import { withoutDetections } from '@sigdesk/signatures';
import {
  describeRun,
  ensureBuild,
  envNumber,
  expect2xx,
  jsonRequest,
  MiB,
  multipartFromBuffer,
  post,
  readProcStatus,
  Sigdesk,
  sleep,
  startSigdesk,
  verdict,
} from './support/harness';
import { generatePacks, RULE_VARIABLES, type RulePack } from './support/realistic-rules';
import { confirmedMarkerCase, msaStartAccounts, storeCleanCorpus } from './support/seeding';
import { systemCorpus } from './support/system-corpus';

const EXPEDITED_GOAL_SECONDS = 60;
const ENGINE_COMM = 'sigdesk-yara';
const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const int = (n: number) => n.toLocaleString('en-US');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ---------------------------------------------------------------------------------------------------------------
// a tar.gz of a pack, its files at their `path` (ustar, written here: nothing to install)

function tarHeader(path: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}

function tarGzOf(pack: RulePack): Buffer {
  const parts: Buffer[] = [];
  for (const file of pack.files) {
    const content = Buffer.from(file.source, 'utf8');
    parts.push(tarHeader(file.path, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------------------------
// the pack without the rules YARA-X warns about (sigdesk's proof refuses any new compiler warning)

interface Filtered {
  pack: RulePack;
  rulesDropped: number;
  filesDropped: number;
  byCode: Record<string, number>;
}

/**
 * Each file compiled alone with the bare binding (the rules' external variables defined); a rule a warning falls in
 * (the generator separates rules by a blank line, and has none inside one) is left out. A file with a warning outside
 * a rule, or in a private helper, is left out whole (the rules that use the helper would not compile without it).
 */
function withoutWarnedRules(pack: RulePack): Filtered {
  const yaraX = loadYaraX() as unknown as {
    create(): {
      defineVariable(name: string, value: string): void;
      addRuleSource(source: string): void;
      getWarnings(): Array<{ code: string; line?: number }>;
    };
  };
  const byCode: Record<string, number> = {};
  let rulesDropped = 0;
  let filesDropped = 0;
  const files: RulePack['files'] = [];
  for (const file of pack.files) {
    const compiler = yaraX.create();
    for (const [name, value] of Object.entries(RULE_VARIABLES)) compiler.defineVariable(name, value);
    compiler.addRuleSource(file.source);
    const warnings = compiler.getWarnings();
    if (!warnings.length) {
      files.push(file);
      continue;
    }
    for (const w of warnings) byCode[w.code] = (byCode[w.code] ?? 0) + 1;
    const blocks = file.source.split('\n\n');
    const starts: number[] = [];
    let line = 1;
    for (const block of blocks) {
      starts.push(line);
      line += block.split('\n').length + 1;
    }
    const blockOf = (at: number) => starts.findLastIndex((start) => start <= at);
    const warned = new Set<number>();
    let whole = false;
    for (const w of warnings) {
      const index = w.line === undefined ? -1 : blockOf(w.line);
      if (index < 0 || !/^rule /.test(blocks[index].trimStart())) whole = true;
      else warned.add(index);
    }
    const kept = blocks.filter((block, index) => !warned.has(index));
    const rulesLeft = kept.filter((block) => /^(private )?rule /m.test(block)).length;
    if (whole || rulesLeft === 0) {
      filesDropped++;
      rulesDropped += file.rules;
      continue;
    }
    rulesDropped += warned.size;
    files.push({ ...file, source: kept.join('\n\n'), rules: rulesLeft });
  }
  return { pack: { name: pack.name, files }, rulesDropped, filesDropped, byCode };
}

// ---------------------------------------------------------------------------------------------------------------
// the clean corpus: this machine's files, straight into S3 and clean_corpus_files

async function seedCorpus(sigdesk: Sigdesk, db: Client, bytes: number) {
  const started = performance.now();
  const corpus = systemCorpus(bytes);
  const bySha = new Map<string, { name: string; path: string; size: number }>();
  for (const file of corpus.files) {
    const sha256 = createHash('sha256').update(readFileSync(file.path)).digest('hex');
    // the same content twice (hard links, copies) is one corpus file
    if (!bySha.has(sha256)) bySha.set(sha256, { name: file.path.replace(/^\//, ''), path: file.path, size: file.size });
  }
  const files = [...bySha].map(([sha256, f]) => ({ sha256, ...f }));
  await storeCleanCorpus(sigdesk, db, files);
  return {
    files: files.length,
    bytes: files.reduce((a, f) => a + f.size, 0),
    local: files,
    sources: corpus.sources,
    ms: performance.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// the packs without the rules that hit the clean corpus when every pack is compiled together

interface CleanedAsWhole {
  packs: RulePack[];
  rules: number;
  rulesHit: number;
  filesHit: number;
  compileMs: number;
  scanMs: number;
}

/**
 * What a lab does when the build of its packs fails the clean-corpus gate that each pack passed alone (YARA-X 1.20's
 * shared-pattern regression, yara-x#762/#771: the verdicts of rules compiled apart do not add up to theirs compiled
 * together): the accepted files of the given changes and the base ruleset, compiled together as the build compiles
 * them (sigdesk's own compile, each file in its namespace), scan the clean corpus, and every rule that detects a
 * clean file is made `private` in its file. A private rule is still compiled and evaluated (only its matches are not
 * reported), so the other rules see the same patterns and one pass is enough.
 */
async function cleanedAsWhole(
  db: Client,
  changeIds: string[],
  corpus: Array<{ name: string; path: string }>,
  everyPack: boolean,
): Promise<CleanedAsWhole> {
  const { rows: files } = await db.query<{ pack_name: string; path: string; namespace: string; source: string }>(
    `SELECT i.pack_name, f.path, f.namespace, f.accepted_source AS source
     FROM rule_pack_files f JOIN rule_pack_imports i ON i.id = f.import_id
     WHERE i.change_id = ANY($1::uuid[]) AND f.accepted_source IS NOT NULL ORDER BY f.namespace`,
    [changeIds],
  );
  const { rows: base } = await db.query<{ name: string; source: string }>(
    `SELECT name, source FROM rule_revisions WHERE base ORDER BY name`,
  );
  const sources: RuleSource[] = [
    ...base.map((r) => ({ name: r.name, source: r.source })),
    ...files.map((f) => ({ name: f.namespace, source: f.source, namespace: f.namespace })),
  ];
  let t0 = performance.now();
  const outcome = await compileRuleset(sources);
  const compileMs = performance.now() - t0;
  if (!outcome.ok || !outcome.ruleset) {
    throw new Error(`the packs do not compile together: ${JSON.stringify(outcome.errors.slice(0, 3))}`);
  }
  const hits = new Map<string, Set<string>>();
  let filesHit = 0;
  t0 = performance.now();
  try {
    // as many scans at a time as the engine has scan threads
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: outcome.ruleset.scanThreads }, async () => {
        while (next < corpus.length) {
          const file = corpus[next++];
          const { matches } = await outcome.ruleset!.scanFile(file.path, {
            variables: scanVariables({ name: file.name }),
            timeoutMs: 120_000,
          });
          if (matches.length) filesHit++;
          for (const m of matches) {
            if (!m.namespace || m.namespace === 'default') continue;
            hits.set(m.namespace, (hits.get(m.namespace) ?? new Set()).add(m.rule));
          }
          if (++done % 100 === 0) console.log(`  [as a whole] ${done} of ${corpus.length} clean files scanned`);
        }
      }),
    );
  } finally {
    await outcome.ruleset.close();
  }
  const scanMs = performance.now() - t0;
  const byPack = new Map<string, RulePack>();
  for (const f of files) {
    const hit = hits.get(f.namespace) ?? new Set<string>();
    const pack = byPack.get(f.pack_name) ?? { name: f.pack_name, files: [] };
    pack.files.push({ path: f.path, namespace: f.namespace, source: withoutDetections(f.source, hit), rules: 0 });
    byPack.set(f.pack_name, pack);
  }
  const touched = new Set(files.filter((f) => hits.has(f.namespace)).map((f) => f.pack_name));
  return {
    packs: [...byPack.values()].filter((p) => everyPack || touched.has(p.name)),
    rules: outcome.ruleNames.length,
    rulesHit: [...hits.values()].reduce((a, x) => a + x.size, 0),
    filesHit,
    compileMs,
    scanMs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// the server's engine processes: CPU and RSS, sampled

interface Reading {
  /** CPU ticks of each engine process seen, by `<pid>@<start time>` (its last value once it has ended) */
  ticks: Map<string, number>;
  /** the engines' RSS together, and how many there are, now */
  rssKiB: number;
  count: number;
  serverTicks: number;
}

function statOf(path: string): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return undefined;
  }
}

function readEngines(pid: number, into: Map<string, number>): Reading {
  const children = new Set<number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
          if (c.trim()) children.add(Number(c));
        }
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the server ended
  }
  let rssKiB = 0;
  let count = 0;
  for (const child of children) {
    const stat = statOf(`/proc/${child}/stat`);
    if (!stat || !stat.comm.startsWith(ENGINE_COMM)) continue;
    count++;
    into.set(`${child}@${stat.fields[19]}`, Number(stat.fields[11]) + Number(stat.fields[12]));
    rssKiB += (Number(stat.fields[21]) * PAGE_BYTES) / 1024;
  }
  const server = statOf(`/proc/${pid}/stat`);
  return {
    ticks: into,
    rssKiB,
    count,
    serverTicks: server ? Number(server.fields[11]) + Number(server.fields[12]) : NaN,
  };
}

/** The engine processes' CPU seconds, their peak RSS together and peak count, and the server's, over a phase. */
class EngineSampler {
  private readonly ticks = new Map<string, number>();
  private readonly startTicks: Map<string, number>;
  private readonly startServer: number;
  private peakRssKiB = 0;
  private peakCount = 0;
  private peakServerKiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    const first = readEngines(pid, this.ticks);
    this.startTicks = new Map(this.ticks);
    this.startServer = first.serverTicks;
    this.timer = setInterval(() => this.sample(), 250);
  }

  private sample(): Reading {
    const r = readEngines(this.pid, this.ticks);
    this.peakRssKiB = Math.max(this.peakRssKiB, r.rssKiB);
    this.peakCount = Math.max(this.peakCount, r.count);
    try {
      this.peakServerKiB = Math.max(this.peakServerKiB, readProcStatus(this.pid).rssKiB);
    } catch {
      // ended
    }
    return r;
  }

  stop(): EngineUse {
    clearInterval(this.timer);
    const last = this.sample();
    let ticks = 0;
    for (const [key, value] of this.ticks) ticks += value - (this.startTicks.get(key) ?? 0);
    return {
      engineCpuS: ticks / CLOCK_TICKS,
      serverCpuS: (last.serverTicks - this.startServer) / CLOCK_TICKS,
      enginesStarted: [...this.ticks.keys()].filter((k) => !this.startTicks.has(k)).length,
      peakEngines: this.peakCount,
      peakEngineRssMiB: this.peakRssKiB / 1024,
      peakServerRssMiB: this.peakServerKiB / 1024,
    };
  }
}

interface EngineUse {
  engineCpuS: number;
  serverCpuS: number;
  enginesStarted: number;
  peakEngines: number;
  peakEngineRssMiB: number;
  peakServerRssMiB: number;
}

const useText = (u: EngineUse) =>
  `CPU engines ${u.engineCpuS.toFixed(0)} s + server ${u.serverCpuS.toFixed(0)} s; ${u.enginesStarted} engine ` +
  `process(es) started, up to ${u.peakEngines} at once holding ${u.peakEngineRssMiB.toFixed(0)} MiB; server RSS up ` +
  `to ${u.peakServerRssMiB.toFixed(0)} MiB`;

// ---------------------------------------------------------------------------------------------------------------

interface Stage {
  stage: string;
  ms: number;
}

/** Adds the time since the last poll to the stage seen then; returns the stages in order. */
function stageClock() {
  const stages: Stage[] = [];
  let last: { stage: string; at: number } | undefined;
  return {
    stages,
    see(stage: string) {
      const now = Date.now();
      if (last) {
        const entry = stages.find((x) => x.stage === last!.stage);
        if (entry) entry.ms += now - last.at;
        else stages.push({ stage: last.stage, ms: now - last.at });
      }
      last = { stage, at: now };
    },
  };
}

const stagesText = (stages: Stage[]) => stages.map((x) => `${x.stage} ${s(x.ms)}`).join(', ');

interface ValidationResult {
  status: string;
  ms: number;
  stages: Stage[];
  checks: Array<{ check: string; passed: boolean; summary: string }>;
  use: EngineUse;
}

/** Polls `signature_changes` until the change is no longer validating. */
async function waitForValidation(sigdesk: Sigdesk, db: Client, changeId: string, label: string) {
  const t0 = Date.now();
  const sampler = new EngineSampler(sigdesk.pid);
  const clock = stageClock();
  let status = 'validating';
  let lastPrint = 0;
  while (status === 'validating') {
    const { rows } = await db.query<{ status: string; progress: Record<string, unknown> | null }>(
      'SELECT status, progress FROM signature_changes WHERE id = $1',
      [changeId],
    );
    status = rows[0].status;
    const progress = rows[0].progress ?? {};
    clock.see(String(progress.stage ?? 'queued'));
    if (Date.now() - lastPrint > 15_000) {
      lastPrint = Date.now();
      console.log(`  [${label}] validating ${s(Date.now() - t0)}: ${JSON.stringify(progress)}`);
    }
    if (Date.now() - t0 > 3_600_000) throw new Error(`${label}: validation not done within 60 min`);
    if (status === 'validating') await sleep(200);
  }
  clock.see('end');
  const ms = Date.now() - t0;
  const use = sampler.stop();
  const change = await expect2xx<any>(
    'change',
    jsonRequest(`${sigdesk.url}/v1/signature-changes/${changeId}`, 'GET', sigdesk.adminKey),
  );
  const checks = ((change.report?.checks ?? []) as ValidationResult['checks']).map((c) => ({
    check: c.check,
    passed: c.passed,
    summary: c.summary,
  }));
  console.log(`  [${label}] ${status} in ${s(ms)} (${stagesText(clock.stages)})`);
  for (const c of checks) console.log(`    ${c.check}: ${c.passed ? 'passed' : 'FAILED'} — ${c.summary}`);
  return { status, ms, stages: clock.stages, checks, use } satisfies ValidationResult;
}

interface BuildResult {
  version: number;
  status: string;
  kind: string;
  ms: number;
  durationMs: number | null;
  stages: Stage[];
  failure: unknown;
  gates: unknown;
  use: EngineUse;
}

/** Polls `GET /v1/database-builds` until the build holding `changeId` is no longer building. */
async function waitForBuild(sigdesk: Sigdesk, changeId: string, t0: number, sampler: EngineSampler, label: string) {
  const clock = stageClock();
  let lastPrint = 0;
  for (;;) {
    const list = await jsonRequest(`${sigdesk.url}/v1/database-builds?limit=5`, 'GET', sigdesk.adminKey);
    const mine = (list.body.items as any[] | undefined)?.find((b) => (b.changes as string[]).includes(changeId));
    clock.see(mine ? `${mine.stage ?? mine.status}` : 'requested');
    if (Date.now() - lastPrint > 15_000) {
      lastPrint = Date.now();
      console.log(
        `  [${label}] ${s(Date.now() - t0)}: ${mine ? `build ${mine.version} ${mine.status} ${mine.stage ?? ''} ${JSON.stringify(mine.progress ?? {})}` : 'no build yet'}`,
      );
    }
    if (mine && mine.status !== 'building') {
      clock.see('end');
      const ms = Date.now() - t0;
      const result: BuildResult = {
        version: mine.version,
        status: mine.status,
        kind: mine.kind,
        ms,
        durationMs: mine.durationMs,
        stages: clock.stages,
        failure: mine.failure,
        gates: mine.gates,
        use: sampler.stop(),
      };
      console.log(
        `  [${label}] build ${result.version} (${result.kind}) ${result.status} ${s(ms)} after the approval ` +
          `(${stagesText(result.stages)})`,
      );
      if (result.failure) console.log(`    failure: ${JSON.stringify(result.failure).slice(0, 2000)}`);
      return result;
    }
    if (Date.now() - t0 > 3_600_000) throw new Error(`${label}: build not finished within 60 min`);
    await sleep(250);
  }
}

interface PackResult {
  name: string;
  importId: string;
  files: number;
  tarGzBytes: number;
  uploadMs: number;
  analysedMs: number;
  analysisStages: Stage[];
  status: string;
  error: unknown;
  summary: any;
  topCostly: Array<{ path: string; share: number; cpuMillis: number; rules: number }>;
  failures: Array<[string, number, string]>;
  flaggedBy: Record<string, number>;
  use: EngineUse;
  changeId?: string;
  acceptedRules?: number;
  validation?: ValidationResult;
}

async function importPack(sigdesk: Sigdesk, workDir: string, pack: RulePack, label: string): Promise<PackResult> {
  const admin = (method: string, path: string, body?: unknown) =>
    jsonRequest(`${sigdesk.url}${path}`, method, sigdesk.adminKey, body);
  const archive = tarGzOf(pack);
  await writeFile(join(workDir, `${pack.name}.tar.gz`), archive);
  const body = multipartFromBuffer({}, { field: 'pack', name: `${pack.name}.tar.gz`, content: archive });
  console.log(`[${label}] uploading ${pack.files.length} files (${(archive.length / MiB).toFixed(1)} MiB tar.gz) ...`);
  const sampler = new EngineSampler(sigdesk.pid);
  const t0 = Date.now();
  const uploaded = await post(
    `${sigdesk.url}/v1/admin/rulesets/import`,
    { authorization: `Bearer ${sigdesk.adminKey}`, 'content-type': body.contentType },
    body.buffer,
    body.length,
  );
  const uploadMs = Date.now() - t0;
  if (uploaded.status !== 202) throw new Error(`import ${pack.name}: HTTP ${uploaded.status} ${uploaded.body}`);
  const created = JSON.parse(uploaded.body) as { id: string; files: number; skipped: unknown[] };
  console.log(
    `[${label}] 202 in ${s(uploadMs)}: import ${created.id}, ${created.files} files, ${created.skipped.length} skipped`,
  );

  // the list has each import without its files' reports: cheap to poll
  const clock = stageClock();
  let lastPrint = 0;
  let row: any;
  for (;;) {
    const list = await admin('GET', '/v1/admin/rulesets/imports?limit=10');
    row = (list.body.items as any[]).find((x) => x.id === created.id);
    const progress = row?.progress ?? {};
    clock.see(String(progress.stage ?? row?.status ?? 'queued'));
    if (Date.now() - lastPrint > 10_000) {
      lastPrint = Date.now();
      console.log(`  [${label}] ${s(Date.now() - t0)}: ${row?.status} ${JSON.stringify(progress)}`);
    }
    if (row && row.status !== 'analysing') break;
    if (Date.now() - t0 > 3_600_000) throw new Error(`${label}: analysis not done within 60 min`);
    await sleep(500);
  }
  clock.see('end');
  const analysedMs = Date.now() - t0;
  const use = sampler.stop();
  const report = await expect2xx<any>('import report', admin('GET', `/v1/admin/rulesets/imports/${created.id}`));
  const files = (report.files ?? []) as any[];
  const topCostly = files
    .filter((f) => f.profile)
    .sort((a, b) => b.profile.share - a.profile.share)
    .slice(0, 5)
    .map((f) => ({
      path: f.path as string,
      share: f.profile.share as number,
      cpuMillis: f.profile.cpuMillis as number,
      rules: (f.rules as unknown[]).length,
    }));
  const failuresByCode = new Map<string, { count: number; example: string }>();
  for (const f of files.filter((x) => x.compiled === false)) {
    const first = f.errors?.[0];
    const code = String(first?.code ?? 'unknown');
    const entry = failuresByCode.get(code) ?? { count: 0, example: `${f.path}: ${first?.message ?? '?'}` };
    entry.count++;
    failuresByCode.set(code, entry);
  }
  const flaggedBy: Record<string, number> = {};
  for (const f of files) {
    for (const r of f.rules ?? [])
      for (const reason of r.flagged ?? []) flaggedBy[reason] = (flaggedBy[reason] ?? 0) + 1;
  }
  const result: PackResult = {
    name: label,
    importId: created.id,
    files: pack.files.length,
    tarGzBytes: archive.length,
    uploadMs,
    analysedMs,
    analysisStages: clock.stages,
    status: report.status,
    error: report.error,
    summary: report.summary,
    topCostly,
    failures: [...failuresByCode].map(([code, x]) => [code, x.count, x.example]),
    flaggedBy,
    use,
  };
  console.log(
    `[${label}] ${report.status} in ${s(analysedMs)} (${stagesText(clock.stages)}): ${JSON.stringify(report.summary)}`,
  );
  if (report.error) console.log(`  error: ${JSON.stringify(report.error)}`);
  for (const [code, count, example] of result.failures)
    console.log(`  does not compile: ${count} × ${code}, e.g. ${example}`);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

/** One pack: imported and analysed, accepted without its flagged rules, validated. */
async function acceptAndValidate(
  sigdesk: Sigdesk,
  db: Client,
  workDir: string,
  pack: RulePack,
  label = pack.name,
): Promise<PackResult> {
  const result = await importPack(sigdesk, workDir, pack, label);
  if (result.status !== 'analysed') return result;
  const change = await expect2xx<{ id: string }>(
    'accept',
    jsonRequest(`${sigdesk.url}/v1/admin/rulesets/imports/${result.importId}/accept`, 'POST', sigdesk.adminKey, {
      rules: 'unflagged',
    }),
  );
  result.changeId = change.id;
  console.log(`[${label}] accepted (unflagged) as change ${change.id}; validating ...`);
  result.validation = await waitForValidation(sigdesk, db, change.id, label);
  return result;
}

async function main() {
  const ruleCount = Math.round(envNumber('BENCH_RULES', 18_000));
  const corpusMiB = envNumber('BENCH_CORPUS_MIB', 1024);
  const seed = Math.round(envNumber('BENCH_SEED', 1));
  const retryWithoutWarned = process.env.BENCH_RETRY_WITHOUT_WARNED !== '0';
  // '0': never; 'always': even when the build passed (every pack imported again), to try the step on a small run
  const cleanAsWhole =
    process.env.BENCH_CLEAN_AS_WHOLE === '0'
      ? 'never'
      : process.env.BENCH_CLEAN_AS_WHOLE === 'always'
        ? 'always'
        : 'on failure';
  ensureBuild();
  const machineAtStart = describeRun();
  console.log(machineAtStart);
  const workDir = await mkdtemp(join(tmpdir(), 'sigdesk-bench-import-'));
  const serverTmp = await mkdtemp(join(tmpdir(), 'sigdesk-bench-import-tmp-'));
  const removeWork = () => {
    rmSync(workDir, { recursive: true, force: true });
    rmSync(serverTmp, { recursive: true, force: true });
  };
  process.once('exit', removeWork);

  const started = performance.now();
  const packs = generatePacks({ rules: ruleCount, seed });
  console.log(
    `generated ${int(ruleCount)} public rules in ${packs.map((p) => `${p.name} ${p.files.length} files`).join(', ')} ` +
      `in ${s(performance.now() - started)}`,
  );

  const sigdesk = await startSigdesk('rule-pack-import', {
    seed: false,
    queues: 'redis',
    env: { LOG_LEVEL: 'info', SIGDESK_EXPEDITED_WINDOW_SECONDS: '1', TMPDIR: serverTmp, DATA_DIR: serverTmp },
  });
  const db = new Client({ connectionString: sigdesk.databaseUrl, application_name: 'bench' });
  db.on('error', (error) => console.error(`bench database connection: ${error.message}`));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const buildsQueue = new Queue('builds', { connection: redis, prefix: sigdesk.redisPrefix });
  const out: string[] = [];
  try {
    await db.connect();
    const admin = (method: string, path: string, body?: unknown) =>
      jsonRequest(`${sigdesk.url}${path}`, method, sigdesk.adminKey, body);

    // -- set-up: release 1, the clean corpus, an MSA Start customer, two analysts
    await expect2xx(
      'release 1',
      admin('POST', '/v1/admin/database-releases', {
        version: 1,
        releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
      }),
    );
    const corpus = await seedCorpus(sigdesk, db, Math.round(corpusMiB * MiB));
    console.log(
      `clean corpus: ${int(corpus.files)} files, ${(corpus.bytes / MiB).toFixed(0)} MiB (` +
        corpus.sources.map((x) => `${x.name} ${x.files} files ${(x.bytes / MiB).toFixed(0)} MiB`).join(', ') +
        `), hashed, stored and registered in ${s(corpus.ms)}`,
    );
    const {
      customer,
      analysts: [analystA, analystB],
    } = await msaStartAccounts(sigdesk);
    const as = (key: string) => (method: string, path: string, body?: unknown) =>
      jsonRequest(`${sigdesk.url}${path}`, method, key, body);
    const a = as(analystA);
    const b = as(analystB);
    console.log(`load average before the imports: ${load()}`);

    // -- each pack: upload, analysis, accepted without its flagged rules, validated
    const results: PackResult[] = [];
    const retried: Array<{ name: string; filtered: Omit<Filtered, 'pack'> }> = [];
    for (const pack of packs) {
      let result = await acceptAndValidate(sigdesk, db, workDir, pack);
      results.push(result);
      const failed = result.validation?.checks.filter((c) => !c.passed).map((c) => c.check) ?? [];
      // sigdesk's proof refuses any new compiler warning, which "unflagged" leaves in (a flagged rule is made
      // private, not removed, and only slow-pattern warnings flag a rule): import the pack again without the rules
      // YARA-X warns about, so that the build can be measured
      if (retryWithoutWarned && failed.includes('no_new_warnings')) {
        const { pack: filteredPack, ...filtered } = withoutWarnedRules(pack);
        console.log(
          `[${pack.name}] validation failed on ${failed.join(', ')}: importing it again without the ` +
            `${filtered.rulesDropped} rule(s) and ${filtered.filesDropped} file(s) YARA-X warns about ` +
            `(${JSON.stringify(filtered.byCode)})`,
        );
        retried.push({ name: pack.name, filtered });
        result = await acceptAndValidate(sigdesk, db, workDir, filteredPack, `${pack.name} (no warned rules)`);
        results.push(result);
      }
    }

    // -- approvals, then the scheduled build of all packs
    const approvable = results.filter((r) => r.validation?.status === 'validated');
    let scheduled: BuildResult | undefined;
    let approvalMs = 0;
    let scheduledRequestedAt = 0;
    if (approvable.length) {
      await sleep(1000);
      const sampler = new EngineSampler(sigdesk.pid);
      const t0 = Date.now();
      for (const r of approvable) {
        await expect2xx('approval', a('POST', `/v1/signature-changes/${r.changeId}/approve`, {}));
      }
      approvalMs = Date.now() - t0;
      await buildsQueue.add('builds.request-scheduled-builds', {}, { removeOnComplete: true, removeOnFail: 100 });
      scheduledRequestedAt = Date.now();
      console.log(
        `approved ${approvable.length} change(s) in ${s(approvalMs)}; scheduled build requested (load ${load()}) ...`,
      );
      scheduled = await waitForBuild(sigdesk, approvable[0].changeId!, t0, sampler, 'scheduled');
    }

    // -- when that build fails its clean-corpus gate (YARA-X's shared-pattern regression): the packs again, without
    // the rules that detect clean files once every pack is compiled together, each imported under its name (so it
    // replaces the last), validated, approved, and built
    let asWhole:
      (Omit<CleanedAsWhole, 'packs'> & { packs: string[]; build?: BuildResult; first: BuildResult }) | undefined;
    if (
      scheduled &&
      (cleanAsWhole === 'always' ||
        (cleanAsWhole === 'on failure' &&
          scheduled.status === 'failed' &&
          JSON.stringify(scheduled.failure ?? '').includes('clean_corpus')))
    ) {
      console.log(`the scheduled build ${scheduled.status}: scanning the clean corpus with every pack together ...`);
      const cleaned = await cleanedAsWhole(
        db,
        approvable.map((r) => r.changeId!),
        corpus.local,
        cleanAsWhole === 'always',
      );
      console.log(
        `  ${int(cleaned.rules)} rules compiled together in ${s(cleaned.compileMs)}, clean corpus scanned in ` +
          `${s(cleaned.scanMs)}: ${cleaned.rulesHit} rule(s) detect ${cleaned.filesHit} clean file(s); importing ` +
          `${cleaned.packs.map((p) => p.name).join(', ')} again without them`,
      );
      const again: PackResult[] = [];
      for (const pack of cleaned.packs) {
        const result = await acceptAndValidate(sigdesk, db, workDir, pack, `${pack.name} (cleaned as a whole)`);
        results.push(result);
        again.push(result);
      }
      const { packs: cleanedPacks, ...figures } = cleaned;
      asWhole = { ...figures, packs: cleanedPacks.map((p) => p.name), first: scheduled };
      const validated = again.filter((r) => r.validation?.status === 'validated');
      if (validated.length) {
        // a channel's scheduled build job is deduplicated for a minute (scheduledBuildJob): ask once that is over
        await sleep(Math.max(1000, scheduledRequestedAt + 61_000 - Date.now()));
        const sampler = new EngineSampler(sigdesk.pid);
        const t0 = Date.now();
        for (const r of validated) {
          await expect2xx('approval', a('POST', `/v1/signature-changes/${r.changeId}/approve`, {}));
        }
        await buildsQueue.add('builds.request-scheduled-builds', {}, { removeOnComplete: true, removeOnFail: 100 });
        console.log(`approved ${validated.length} change(s); scheduled build requested (load ${load()}) ...`);
        scheduled = await waitForBuild(sigdesk, validated[0].changeId!, t0, sampler, 'scheduled, cleaned as a whole');
        asWhole.build = scheduled;
      }
    }

    // -- the expedited path on top: an MSA Start false negative, one new rule
    let expedited:
      { intakeMs: number; validation: ValidationResult; build: BuildResult; rulesInForce?: number } | undefined;
    // on top of what the scheduled build stored, published (a customer reports against a published release), or,
    // when none was stored, of release 1
    let published: string | undefined;
    if (scheduled?.status === 'stored') {
      const release = await expect2xx<{ key: string }>(
        'release key',
        admin('POST', '/v1/admin/api-keys', { role: 'release', name: 'bench release' }),
      );
      const t0 = Date.now();
      const done = await jsonRequest(
        `${sigdesk.url}/v1/database-builds/${scheduled.version}/publish`,
        'POST',
        release.key,
        {},
      );
      published = `publish of build ${scheduled.version}: HTTP ${done.status} in ${s(Date.now() - t0)}`;
      console.log(published);
      if (done.status !== 200 && done.status !== 201) throw new Error(`${published}: ${JSON.stringify(done.body)}`);
    }
    {
      const theCase = await confirmedMarkerCase(sigdesk, customer, analystA, {
        databaseVersion: scheduled?.status === 'stored' ? scheduled.version : 1,
      });
      const { marker, intakeMs } = theCase;
      let t0 = Date.now();
      console.log(`[expedited] case ${theCase.reference} intake-completed in ${s(intakeMs)}`);
      const rule = [
        `rule Bench_Import_Marker_${randomBytes(4).toString('hex')} : dropper`,
        '{',
        '    meta:',
        `        case = "${theCase.reference}"`,
        '    strings:',
        `        $m = "${marker}"`,
        '    condition:',
        '        $m',
        '}',
      ].join('\n');
      const proposed = await expect2xx<{ id: string }>(
        'proposal',
        a('POST', `/v1/cases/${theCase.id}/signature-changes`, { type: 'add_detection', rule }),
      );
      const validation = await waitForValidation(sigdesk, db, proposed.id, 'expedited');
      if (validation.status === 'validated') {
        await sleep(1000);
        const sampler = new EngineSampler(sigdesk.pid);
        t0 = Date.now();
        await expect2xx('approval', b('POST', `/v1/signature-changes/${proposed.id}/approve`, {}));
        const build = await waitForBuild(sigdesk, proposed.id, t0, sampler, 'expedited');
        expedited = { intakeMs, validation, build };
      }
    }

    const { rows: ruleRows } = await db
      .query<{ version: number; rules: number }>(
        `SELECT version, jsonb_array_length(rules) AS rules FROM signature_contents ORDER BY version`,
      )
      .catch(() => ({ rows: [] as Array<{ version: number; rules: number }> }));

    // -- the figures
    const totals = {
      upload: results.reduce((x, r) => x + r.uploadMs, 0),
      analysed: results.reduce((x, r) => x + r.analysedMs, 0),
      validation: results.reduce((x, r) => x + (r.validation?.ms ?? 0), 0),
    };
    out.push(
      '',
      `== rule-pack-import: ${int(ruleCount)} public rules in ${packs.length} packs (seed ${seed}), clean corpus ` +
        `${int(corpus.files)} files / ${(corpus.bytes / MiB).toFixed(0)} MiB of this machine's files`,
      machineAtStart,
      '',
      'per pack (one import each, a tar.gz, accepted "unflagged")',
    );
    const row = (label: string, values: string[]) =>
      out.push(`  ${label.padEnd(38)} ${values.map((v) => v.padStart(22)).join(' ')}`);
    row(
      '',
      results.map((r) => r.name),
    );
    row(
      'files, tar.gz MiB',
      results.map((r) => `${r.files}, ${(r.tarGzBytes / MiB).toFixed(1)}`),
    );
    row(
      'upload → 202',
      results.map((r) => s(r.uploadMs)),
    );
    row(
      'upload → analysed',
      results.map((r) => `${s(r.analysedMs)} ${r.status === 'analysed' ? '' : r.status}`),
    );
    for (const stage of ['files', 'clean corpus']) {
      row(
        `  of which ${stage}`,
        results.map((r) => s(r.analysisStages.find((x) => x.stage === stage)?.ms ?? 0)),
      );
    }
    row(
      'files compiled / failed',
      results.map((r) => `${r.summary?.compiled} / ${r.summary?.failed}`),
    );
    row(
      'rules / flagged',
      results.map((r) => `${int(r.summary?.rules ?? 0)} / ${int(r.summary?.flaggedRules ?? 0)}`),
    );
    row(
      'flagged: clean hits / slow',
      results.map((r) => `${r.flaggedBy.clean_corpus_hits ?? 0} / ${r.flaggedBy.slow ?? 0}`),
    );
    row(
      'rules with clean hits',
      results.map((r) => int(r.summary?.rulesWithCleanHits ?? 0)),
    );
    row(
      'clean files hit',
      results.map((r) => `${r.summary?.cleanCorpus?.filesHit} of ${r.summary?.cleanCorpus?.files}`),
    );
    row(
      'clean-corpus scan CPU',
      results.map((r) => s(r.summary?.cleanCorpus?.cpuMillis ?? 0)),
    );
    row(
      'profile sample',
      results.map(
        (r) => `${r.summary?.profile?.files} files, ${((r.summary?.profile?.bytes ?? 0) / MiB).toFixed(1)} MiB`,
      ),
    );
    row(
      'analysis: engine / server CPU',
      results.map((r) => `${r.use.engineCpuS.toFixed(0)} / ${r.use.serverCpuS.toFixed(0)} s`),
    );
    row(
      'analysis: engines started, peak RSS',
      results.map((r) => `${r.use.enginesStarted}, ${r.use.peakEngineRssMiB.toFixed(0)} MiB`),
    );
    row(
      'validation',
      results.map((r) => (r.validation ? `${s(r.validation.ms)} ${r.validation.status}` : '—')),
    );
    row(
      'validation: engine CPU, peak RSS',
      results.map((r) =>
        r.validation
          ? `${r.validation.use.engineCpuS.toFixed(0)} s, ${r.validation.use.peakEngineRssMiB.toFixed(0)} MiB`
          : '—',
      ),
    );
    for (const r of results) {
      out.push('', `  ${r.name}:`);
      if (r.error) out.push(`    analysis error: ${JSON.stringify(r.error)}`);
      out.push(
        `    top costly files (profile share): ` +
          r.topCostly
            .map((f) => `${f.path} ${(f.share * 100).toFixed(1)} % (${f.cpuMillis.toFixed(0)} ms, ${f.rules} rules)`)
            .join('; '),
      );
      if (r.failures.length) {
        out.push(`    files that do not compile, by first error code:`);
        for (const [code, count, example] of r.failures)
          out.push(`      ${count} × ${code}, e.g. ${example.slice(0, 300)}`);
      } else out.push('    every file compiles');
      if (r.validation) {
        out.push(`    validation stages: ${stagesText(r.validation.stages)}`);
        for (const c of r.validation.checks)
          out.push(`      ${c.check}: ${c.passed ? 'passed' : 'FAILED'} — ${c.summary}`);
      }
    }
    for (const r of retried) {
      out.push(
        '',
        `  ${r.name} again without the rules YARA-X warns about: ${r.filtered.rulesDropped} rule(s) and ` +
          `${r.filtered.filesDropped} whole file(s) left out; warnings by code ${JSON.stringify(r.filtered.byCode)}`,
      );
    }
    out.push(
      '',
      `  all packs: upload ${s(totals.upload)}, upload → analysed ${s(totals.analysed)}, validation ${s(totals.validation)}`,
    );
    const first = asWhole?.first ?? scheduled;
    if (first) {
      out.push(
        '',
        `scheduled build of the ${approvable.length} pack change(s): approvals ${s(approvalMs)}, ` +
          `approval → ${first.status} ${s(first.ms)} (build ${first.version}, ${first.kind}, ` +
          `started → finished ${first.durationMs === null ? '—' : s(first.durationMs)})`,
        `  stages (polled): ${stagesText(first.stages)}`,
        `  gates: ${JSON.stringify(first.gates)}`,
        `  ${useText(first.use)}`,
      );
      if (first.failure) out.push(`  failure: ${JSON.stringify(first.failure).slice(0, 1000)}`);
    }
    if (asWhole) {
      out.push(
        '',
        `the packs cleaned as a whole after that build (${asWhole.first.status}): ${int(asWhole.rules)} rules compiled together in ` +
          `${s(asWhole.compileMs)}, the clean corpus scanned in ${s(asWhole.scanMs)}: ${asWhole.rulesHit} rule(s) ` +
          `detect ${asWhole.filesHit} clean file(s), made private; ${asWhole.packs.join(', ')} imported again`,
      );
      if (asWhole.build) {
        out.push(
          `  their scheduled build: approval → ${asWhole.build.status} ${s(asWhole.build.ms)} (build ` +
            `${asWhole.build.version}, started → finished ${asWhole.build.durationMs === null ? '—' : s(asWhole.build.durationMs)})`,
          `  stages (polled): ${stagesText(asWhole.build.stages)}`,
          `  ${useText(asWhole.build.use)}`,
        );
        if (asWhole.build.failure) out.push(`  failure: ${JSON.stringify(asWhole.build.failure).slice(0, 1000)}`);
      }
    }
    if (expedited) {
      out.push(
        '',
        `expedited (MSA Start, one new rule; ${scheduled ? `the scheduled build ${scheduled.version} was ${scheduled.status}` : 'no pack change validated, so no scheduled build: on top of release 1'}):`,
        ...(published ? [`  ${published}`] : []),
        `  intake ${s(expedited.intakeMs)}; validation ${s(expedited.validation.ms)} ${expedited.validation.status} ` +
          `(${stagesText(expedited.validation.stages)})`,
        ...expedited.validation.checks.map((c) => `    ${c.check}: ${c.passed ? 'passed' : 'FAILED'} — ${c.summary}`),
        `  validation: ${useText(expedited.validation.use)}`,
        `  approval → ${expedited.build.status} ${s(expedited.build.ms)} (goal < ${EXPEDITED_GOAL_SECONDS} s) ` +
          `${verdict(expedited.build.status === 'stored' && expedited.build.ms < EXPEDITED_GOAL_SECONDS * 1000)}; ` +
          `build ${expedited.build.version} (${expedited.build.kind}), stages ${stagesText(expedited.build.stages)}`,
        `  build: ${useText(expedited.build.use)}`,
      );
    }
    if (ruleRows.length)
      out.push('', `rules in signature_contents: ${ruleRows.map((r) => `v${r.version} ${int(r.rules)}`).join(', ')}`);
    out.push(
      '',
      `server log: ${sigdesk.problems.length ? `${sigdesk.problems.length} warn/error line(s)` : 'no warnings or errors'} (${sigdesk.logFile})`,
      ...sigdesk.problems.slice(0, 8).map((p) => `  ${p.line.slice(0, 400)}`),
      `load average at the end: ${load()}`,
    );
    console.log(out.join('\n'));
  } finally {
    await buildsQueue.close().catch(() => undefined);
    redis.disconnect();
    await db.end().catch(() => undefined);
    console.log('cleaning up ...');
    await sigdesk.close();
    removeWork();
    process.off('exit', removeWork);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
