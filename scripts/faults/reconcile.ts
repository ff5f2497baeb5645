/**
 * After the faults: what sigdesk promised for every request must hold. Every 201 has its case, its sample in S3 with
 * the right SHA-256 and its intake done exactly once; nothing is stored for a request answered otherwise; no sample
 * object is left unreferenced once the orphan sweeper has run, and no upload left its spool folder; premium ledgers
 * equal the premium cases; no build version is given twice and every stored build's artifact is there.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { jobIdFor, JobName, openQueueBackend, QUEUE_OF_JOB } from '@sigdesk/queues';
import { createS3Client, ObjectStore, StorageKeys } from '@sigdesk/storage';
import { jsonRequest, sleep } from '../../bench/support/harness';
import { RequestRecord, TAG_PREFIX } from './load';
import { now } from './services';
import type { Row, Suite } from './suite';

/** How long the worker may take, after the load, to complete the intake of every case accepted. */
const INTAKE_SETTLE_MS = 60_000;

interface CaseRow {
  id: string;
  reference: string;
  description: string;
  status: string;
  premium: boolean;
  contract_id: string;
  intake_done: boolean;
  intakes: string;
}

interface SampleRow {
  case_id: string;
  sha256: string;
  size: string;
}

function say(message: string): void {
  process.stdout.write(`  ${message}\n`);
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Problems of many cases, counted per kind, each kind with an example. */
class Tally {
  private readonly kinds = new Map<string, { count: number; example: string }>();

  add(kind: string, example: string): void {
    const found = this.kinds.get(kind);
    if (found) found.count++;
    else this.kinds.set(kind, { count: 1, example });
  }

  into(list: string[]): void {
    for (const [kind, { count, example }] of this.kinds) list.push(`${count} ${kind} (e.g. ${example})`);
  }
}

async function waitForIntake(suite: Suite): Promise<void> {
  const started = now();
  let lastSaid = started;
  for (;;) {
    const { rows } = await suite.db
      .query<{ waiting: string; total: string }>(
        `SELECT count(*) FILTER (WHERE intake_completed_at IS NULL) AS waiting, count(*) AS total
           FROM cases WHERE description LIKE $1`,
        [`${TAG_PREFIX}%`],
      )
      .catch(() => ({ rows: [{ waiting: '?', total: '?' }] }));
    const { waiting, total } = rows[0];
    if (waiting === '0') {
      say(`intake done for all ${total} cases, ${((now() - started) / 1000).toFixed(1)} s after the load stopped`);
      return;
    }
    if (now() - started > INTAKE_SETTLE_MS) {
      say(`${waiting} of ${total} cases still without intake ${INTAKE_SETTLE_MS / 1000} s after the load stopped`);
      return;
    }
    if (now() - lastSaid > 10_000) {
      say(`waiting for intake: ${waiting} of ${total} cases to go`);
      lastSaid = now();
    }
    await sleep(500);
  }
}

/** The worker again with no grace for orphans, and one sweep run to its end through the maintenance queue. */
async function sweepOrphans(suite: Suite, problems: string[]): Promise<void> {
  if (!(await suite.worker.terminate(30_000))) await suite.worker.kill9();
  await suite.worker.start({ SIGDESK_ORPHAN_GRACE_MINUTES: '0' });
  const backend = await openQueueBackend({
    redisUrl: suite.redis.url,
    redisPrefix: suite.redisPrefix,
    databaseUrl: suite.pg.url,
  });
  const queue = new Queue(QUEUE_OF_JOB[JobName.SweepOrphanSamples], backend.options);
  queue.on('error', () => undefined);
  try {
    const job = await queue.add(JobName.SweepOrphanSamples, {}, { jobId: `fault-suite-sweep-${Date.now()}` });
    const deadline = now() + 60_000;
    for (;;) {
      const state = await queue.getJobState(job.id!);
      if (state === 'completed') {
        const done = await queue.getJob(job.id!);
        say(`orphan sweep (SIGDESK_ORPHAN_GRACE_MINUTES=0): ${JSON.stringify(done?.returnvalue)}`);
        return;
      }
      if (state === 'failed' || now() > deadline) {
        const done = await queue.getJob(job.id!);
        problems.push(`the orphan sweep did not complete (${state}: ${done?.failedReason ?? 'no answer in 60 s'})`);
        return;
      }
      await sleep(200);
    }
  } finally {
    await queue.close();
    await backend.close();
  }
}

/** Where the intake job of each case is: never relayed, in Redis in some state, or gone from Redis. */
async function intakeJobWhereabouts(suite: Suite, caseIds: string[]): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  if (!caseIds.length) return where;
  const { rows: pending } = await suite.db.query<{ case_id: string }>(
    `SELECT payload->>'caseId' AS case_id FROM outbox
      WHERE job_name = $1 AND dispatched_at IS NULL AND payload->>'caseId' = ANY($2)`,
    [JobName.IntakeCase, caseIds],
  );
  for (const { case_id } of pending) where.set(case_id, 'never relayed from the outbox');
  const backend = await openQueueBackend({
    redisUrl: suite.redis.url,
    redisPrefix: suite.redisPrefix,
    databaseUrl: suite.pg.url,
  });
  const queue = new Queue(QUEUE_OF_JOB[JobName.IntakeCase], backend.options);
  queue.on('error', () => undefined);
  try {
    for (const id of caseIds) {
      if (where.has(id)) continue;
      const jobId = jobIdFor(JobName.IntakeCase, id);
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') where.set(id, 'relayed, then gone from Redis');
      else if (state === 'failed') where.set(id, `failed: ${(await queue.getJob(jobId))?.failedReason ?? '?'}`);
      else where.set(id, `${state} in Redis`);
    }
  } finally {
    await queue.close();
    await backend.close();
  }
  return where;
}

function findSpoolFolders(suite: Suite): string[] {
  const found: string[] = [];
  // the processes' TMPDIRs are the suite's own: whatever is left there (uploads spool to sigdesk-intake-*) leaked
  for (const dir of [suite.apiTmp, suite.workerTmp]) for (const name of readdirSync(dir)) found.push(join(dir, name));
  // a spool kept under the data folder instead: any non-empty folder named for spooling or intake
  const walk = (dir: string, depth: number) => {
    if (depth > 3 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'postgres' || entry.name === 's3') continue;
      const path = join(dir, entry.name);
      if (/spool|intake/i.test(entry.name) && readdirSync(path).length > 0) found.push(path);
      else walk(path, depth + 1);
    }
  };
  walk(suite.dataDir, 0);
  return found;
}

export async function reconcile(suite: Suite, rows: Row[]): Promise<Row> {
  const row: Row = { index: -1, name: 'reconciliation', from: now(), to: 0, problems: [], notes: [] };
  const rowOf = (record: RequestRecord | undefined) => rows.find((r) => r.index === record?.phase) ?? row;
  const tallies = new Map<Row, Tally>();
  const tally = (target: Row) => tallies.get(target) ?? tallies.set(target, new Tally()).get(target)!;
  const notes = new Map<Row, Tally>();
  const noted = (target: Row) => notes.get(target) ?? notes.set(target, new Tally()).get(target)!;
  /** One check; one that cannot run is a failure of the reconciliation, and the others still run. */
  const check = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      row.problems.push(`could not check ${what}: ${(error as Error).message}`);
    }
  };

  console.log('\n[reconciliation]');
  await Promise.all([waitForIntake(suite), ...rows.map((r) => r.pending)]);

  const store = new ObjectStore(
    createS3Client({
      endpoint: suite.s3.endpoint,
      region: suite.s3.region,
      accessKeyId: suite.s3.accessKeyId,
      secretAccessKey: suite.s3.secretAccessKey,
    }),
    suite.s3.bucket,
  );
  const records = new Map<string, RequestRecord>();
  for (const record of suite.load.records) if (record.tag) records.set(record.tag, record);
  let cases: CaseRow[] = [];
  let sampleRows: SampleRow[] = [];

  await check('the cases in PostgreSQL', async () => {
    cases = (
      await suite.db.query<CaseRow>(
        `SELECT c.id, c.reference, c.description, c.status, c.premium, c.contract_id,
                c.intake_completed_at IS NOT NULL AS intake_done,
                (SELECT count(*) FROM case_events e WHERE e.case_id = c.id AND e.type = 'intake_completed') AS intakes
           FROM cases c WHERE c.description LIKE $1`,
        [`${TAG_PREFIX}%`],
      )
    ).rows;
    sampleRows = (
      await suite.db.query<SampleRow>(
        `SELECT cs.case_id, s.sha256, s.size FROM case_samples cs JOIN samples s ON s.sha256 = cs.sha256
          WHERE cs.case_id = ANY($1::uuid[])`,
        [cases.map((c) => c.id)],
      )
    ).rows;
    const samplesOf = new Map<string, SampleRow[]>();
    for (const sample of sampleRows) samplesOf.set(sample.case_id, [...(samplesOf.get(sample.case_id) ?? []), sample]);
    const caseByTag = new Map(cases.map((c) => [c.description.slice(TAG_PREFIX.length), c]));

    let accepted = 0;
    let storedWithoutAnswer = 0;
    for (const [tag, record] of records) {
      const found = caseByTag.get(tag);
      if (record.status === 201) {
        accepted++;
        if (!found) tally(rowOf(record)).add('accepted (201) without a case in PostgreSQL', `request ${tag}`);
        else if (found.id !== record.caseId) tally(rowOf(record)).add('201 naming another case', found.reference);
      } else if (found && record.status === 0) {
        storedWithoutAnswer++;
        noted(rowOf(record)).add(`cases stored though their request got no answer (${record.error})`, found.reference);
      } else if (found) {
        tally(rowOf(record)).add(`answered ${record.status} but stored`, found.reference);
      }
    }
    if (storedWithoutAnswer) row.notes.push(`${storedWithoutAnswer} cases were stored for requests that got no answer`);
    const jobs = await intakeJobWhereabouts(
      suite,
      cases.filter((c) => !c.intake_done).map((c) => c.id),
    );
    for (const found of cases) {
      const record = records.get(found.description.slice(TAG_PREFIX.length));
      if (!record) {
        tally(row).add('cases no request of the suite made', found.reference);
        continue;
      }
      const target = rowOf(record);
      if (!found.intake_done) {
        tally(target).add(
          `cases accepted in this row whose intake never completed (intake job ${jobs.get(found.id)})`,
          found.reference,
        );
      }
      if (found.intake_done && Number(found.intakes) !== 1) {
        tally(target).add(`cases accepted in this row with ${found.intakes} intake_completed events`, found.reference);
      }
      if (found.status !== 'queued') {
        tally(target).add(`cases accepted in this row left ${found.status}, not queued`, found.reference);
      }
      const samples = samplesOf.get(found.id) ?? [];
      if (record.sha256 && (samples.length !== 1 || samples[0].sha256 !== record.sha256)) {
        tally(target).add('cases accepted in this row whose sample is not the one sent', found.reference);
      }
    }
    say(`${cases.length} cases of the load in PostgreSQL; ${accepted} requests answered 201`);
  });

  // the sweep only now, so that the worker's start (it relays the outbox) cannot finish work it had left undone; the
  // reads of cases and samples meanwhile
  const sweep = check('the orphan sweep', () => sweepOrphans(suite, row.problems));
  const readCases = check('the accepted cases through the API', async () => {
    const accepted = [...records.values()].filter((r) => r.status === 201 && r.caseId);
    await inParallel(accepted, 16, async (record) => {
      type Answer = { status: number; body: { samples?: Array<{ sha256: string; size: number }> } };
      const answer: Answer = await jsonRequest(
        `${suite.apiUrl}/v1/submissions/${record.caseId}`,
        'GET',
        record.customer!.key,
      ).catch(() => ({ status: 0, body: {} }));
      const sample = answer.body.samples?.[0];
      if (answer.status !== 200) {
        tally(rowOf(record)).add('accepted cases GET could not read', `${record.caseId}: ${answer.status}`);
      } else if (sample?.sha256 !== record.sha256 || sample?.size !== record.size) {
        tally(rowOf(record)).add('accepted cases whose GET shows another sample', record.caseId!);
      }
    });
    say(`read back ${accepted.length} accepted cases through GET /v1/submissions/:id`);
  });

  const readSamples = check('the samples in S3', async () => {
    const recordOfCase = new Map(cases.map((c) => [c.id, records.get(c.description.slice(TAG_PREFIX.length))]));
    await inParallel(sampleRows, 16, async (sample) => {
      const target = rowOf(recordOfCase.get(sample.case_id));
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of await store.getStream(StorageKeys.sample(sample.sha256))) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
      } catch (error) {
        tally(target).add('samples missing from S3', `${sample.sha256.slice(0, 16)}…: ${(error as Error).name}`);
        return;
      }
      if (hash.digest('hex') !== sample.sha256 || size !== Number(sample.size)) {
        tally(target).add('samples whose S3 object has another SHA-256 or size', `${sample.sha256.slice(0, 16)}…`);
      }
    });
    say(`hashed ${sampleRows.length} sample objects read from S3`);
  });

  await Promise.all([sweep, readCases, readSamples]);

  await check('for orphaned sample objects', async () => {
    const { rows: known } = await suite.db.query<{ sha256: string }>('SELECT sha256 FROM samples');
    const referenced = new Set(known.map((k) => k.sha256));
    let objects = 0;
    const orphans: string[] = [];
    for await (const object of store.list(StorageKeys.samplesPrefix)) {
      objects++;
      const sha256 = StorageKeys.sha256OfSampleKey(object.key);
      if (!sha256 || !referenced.has(sha256)) orphans.push(object.key);
    }
    say(`${objects} objects under samples/, ${orphans.length} not referenced by a sample row`);
    if (orphans.length) {
      // say why the sweeper spared them: an upload claim nobody ended keeps an object
      const { rows: claimed } = await suite.db.query<{ count: string }>(
        `SELECT count(DISTINCT sha256) FROM sample_object_claims WHERE purpose = 'upload' AND sha256 = ANY($1)`,
        [orphans.map((key) => StorageKeys.sha256OfSampleKey(key))],
      );
      row.problems.push(
        `${orphans.length} orphaned sample objects left after the sweep, ${claimed[0].count} of them under an ` +
          `upload claim still in sample_object_claims (e.g. ${orphans[0]})`,
      );
    }
  });

  await check('the builds', () => checkBuilds(suite, rows, row, store));
  store.close();

  await check('for spool folders', async () => {
    const spool = findSpoolFolders(suite);
    if (!spool.length) return say('no spool folders left');
    row.problems.push(`${spool.length} spool folders left (e.g. ${spool[0]})`);
    // each to the row during which it was last written to (the suite's clock starts at performance.timeOrigin)
    const byRow = new Map<Row, number>();
    for (const path of spool) {
      const written = statSync(path).mtimeMs - performance.timeOrigin;
      const target = rows.find((r) => written >= r.from && written <= r.to) ?? row;
      byRow.set(target, (byRow.get(target) ?? 0) + 1);
    }
    for (const [target, count] of byRow) {
      if (target !== row) target.problems.push(`${count} spool folders of its submissions are left`);
    }
    const killed = spool.filter((path) => suite.spoolAtApiKill.some((name) => path.endsWith(name)));
    const faultRow = rows.find((r) => r.index === 7);
    if (killed.length && faultRow) {
      faultRow.problems.push(`among them the folder of the 64 MiB upload cut by the kill: ${killed.join(', ')}`);
    }
  });

  await check('the premium ledgers', async () => {
    const { rows: ledgers } = await suite.db.query<{ name: string; used: number; cases: string }>(
      `SELECT o.name, ct.premium_used AS used,
              (SELECT count(*) FROM cases c WHERE c.contract_id = ct.id AND c.premium) AS cases
         FROM contracts ct JOIN organizations o ON o.id = ct.organization_id WHERE ct.tier = 'msa_start'`,
    );
    const premiumAccepted = [...records.values()].filter((r) => r.premium && r.status === 201).length;
    const premiumCases = ledgers.reduce((sum, l) => sum + Number(l.cases), 0);
    for (const ledger of ledgers) {
      if (ledger.used !== Number(ledger.cases)) {
        row.problems.push(
          `premium ledger of ${ledger.name}: ${ledger.used} incidents used, ${ledger.cases} premium cases stored`,
        );
      }
    }
    if (premiumAccepted > premiumCases) {
      row.problems.push(`${premiumAccepted} premium submissions were accepted but ${premiumCases} premium cases exist`);
    }
    say(
      `premium: ${premiumAccepted} accepted, ${premiumCases} premium cases over ${ledgers.length} MSA Start contracts`,
    );
  });

  for (const [target, found] of tallies) found.into(target.problems);
  for (const [target, found] of notes) found.into(target.notes);
  row.to = now();
  return row;
}

interface BuildRow {
  channel: string;
  version: number;
  status: string;
  change_ids: string[];
  manifest: { files?: Array<{ name: string; sha256: string; size: number }> } | null;
  manifest_sha256: string | null;
  artifact_prefix: string | null;
}

async function sha256Of(store: ObjectStore, key: string): Promise<{ sha256: string; size: number } | null> {
  try {
    const bytes = await store.getBuffer(key);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  } catch {
    return null;
  }
}

/** Versions given once per channel, none left building, the change built once, each stored artifact whole. */
async function checkBuilds(suite: Suite, rows: Row[], row: Row, store: ObjectStore): Promise<void> {
  const { rows: builds } = await suite.db.query<BuildRow>(
    `SELECT channel, version, status, change_ids, manifest, manifest_sha256, artifact_prefix
       FROM database_builds ORDER BY channel, version`,
  );
  const { rows: baselines } = await suite.db.query<{ channel: string; version: number }>(
    `SELECT channel, version FROM database_releases WHERE source = 'baseline'`,
  );
  const seen = new Set<string>();
  for (const build of builds) {
    const id = `${build.channel}/${build.version}`;
    if (seen.has(id)) row.problems.push(`build version ${id} was given twice`);
    seen.add(id);
    if (baselines.some((b) => b.channel === build.channel && b.version === build.version)) {
      row.problems.push(`build version ${id} is also a baseline release`);
    }
    if (build.status === 'building') row.problems.push(`build ${id} was left building`);
    if (build.status !== 'stored' && build.status !== 'published') continue;
    const manifest = await sha256Of(store, `${build.artifact_prefix}manifest.json`);
    if (!manifest || manifest.sha256 !== build.manifest_sha256) {
      row.problems.push(`build ${id}: manifest.json ${manifest ? 'does not match its SHA-256' : 'missing'}`);
    }
    for (const name of ['manifest.sig', ...(build.manifest?.files ?? []).map((f) => f.name)]) {
      const expected = build.manifest?.files?.find((f) => f.name === name);
      const found = await sha256Of(store, `${build.artifact_prefix}${name}`);
      if (!found) row.problems.push(`build ${id}: ${name} missing from S3`);
      else if (expected && (found.sha256 !== expected.sha256 || found.size !== expected.size)) {
        row.problems.push(`build ${id}: ${name} does not match its manifest`);
      }
    }
  }
  const faultRow = rows.find((r) => r.index === 9);
  const carrying = builds.filter(
    (b) => b.change_ids.includes(suite.buildChange.changeId) && (b.status === 'stored' || b.status === 'published'),
  );
  if (faultRow && carrying.length !== 1) {
    faultRow.problems.push(`the approved change is in ${carrying.length} stored builds, not 1`);
  }
  const { rows: change } = await suite.db.query<{ status: string; build_version: number | null }>(
    'SELECT status, build_version FROM signature_changes WHERE id = $1',
    [suite.buildChange.changeId],
  );
  if (faultRow && carrying.length === 1 && change[0]?.build_version !== carrying[0].version) {
    faultRow.problems.push(
      `the change records build ${change[0]?.build_version}, the build holding it is ${carrying[0].version}`,
    );
  }
  say(`builds: ${builds.map((b) => `${b.channel}/${b.version} ${b.status}`).join(', ') || 'none'}`);
}
