/**
 * The faults, each a row: what is broken, how it is put right, and what must hold afterwards. Every fault runs under
 * the load; the row covers the load from its start until the next fault starts.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { openQueueBackend, QueueName } from '@sigdesk/queues';
import { jsonRequest, sleep } from '../../bench/support/harness';
import { slowUpload } from './load';
import { now, SigdeskProcess } from './services';
import type { Row, Suite } from './suite';

/** Load before each fault, so the fault lands on requests in flight. */
const BEFORE_MS = 1_500;
/** Load after the recovery is seen, still counted in the row. */
const AFTER_MS = 2_000;
/** How long a dependency is down. */
const DOWN_MS = 5_000;
/** After a fault is put right: the API ready, a submission accepted, its intake done, each within this. */
const RECOVERY_MS = 30_000;
/** At the end of a row, at most this long for the intake of the cases it accepted. */
const SETTLE_MS = 15_000;
/** ... but no longer than this without one more intake done. */
const STALL_MS = 3_000;
/** After the worker killed mid-build is back: the build stored, with its version. */
const BUILD_RESUME_MS = 150_000;
const MiB = 1024 * 1024;

export interface Fault {
  name: string;
  /** Breaks something and puts it right; resolves once it is put right. */
  run(suite: Suite, row: Row): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function say(message: string): void {
  process.stdout.write(`  ${message}\n`);
}

async function ready(suite: Suite): Promise<boolean> {
  try {
    const response = await fetch(`${suite.apiUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function waitFor<T>(
  deadline: number,
  probe: () => T | undefined | Promise<T | undefined>,
  everyMs = 200,
): Promise<T | undefined> {
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

const reported = new WeakSet<object>();

/** Processes that ended without the suite ending them: a failure of the row; started again so the run goes on. */
async function reviveUnexpected(suite: Suite, row: Row): Promise<void> {
  for (const proc of [suite.api, suite.worker]) {
    for (const exit of proc.unexpectedExitsSince(row.from)) {
      if (reported.has(exit)) continue;
      reported.add(exit);
      row.problems.push(
        `the ${proc.role} exited by itself (${exit.signal ?? `code ${exit.code}`}) ${seconds(exit.at - row.from)} into the row`,
      );
    }
    if (!proc.alive) {
      try {
        await restart(suite, proc);
        row.notes.push(`the ${proc.role} was started again by the suite after it exited`);
      } catch (error) {
        row.problems.push(`the ${proc.role} could not be started again: ${(error as Error).message}`);
      }
    }
  }
}

/** Starts a process the suite stopped; for the API, the window in which the suite had it down ends when it is ready. */
async function restart(suite: Suite, proc: SigdeskProcess, env: Record<string, string> = {}): Promise<void> {
  const window = proc === suite.api ? suite.apiDown.find((w) => w.to === Infinity) : undefined;
  try {
    await proc.start(env);
  } finally {
    if (window) window.to = now();
  }
}

/**
 * After a fault is put right at `since`: GET /health/ready answers 200, the load gets a submission accepted, and the
 * worker completes that case's intake, each within RECOVERY_MS.
 */
async function awaitRecovery(suite: Suite, row: Row, since: number, what: string): Promise<void> {
  await reviveUnexpected(suite, row);
  const deadline = since + RECOVERY_MS;
  const isReady = await waitFor(deadline, async () => ((await ready(suite)) ? true : undefined));
  if (!isReady) row.problems.push(`GET /health/ready was not 200 within ${seconds(RECOVERY_MS)} after ${what}`);
  const accepted = await waitFor(deadline, () =>
    suite.load.records.find((r) => r.kind === 'submit' && r.status === 201 && r.caseId && r.startedAt >= since),
  );
  if (!accepted) {
    row.problems.push(`no submission was accepted within ${seconds(RECOVERY_MS)} after ${what}`);
    say(`not recovered: ready ${isReady ? 'yes' : 'NO'}, accepting NO`);
    return;
  }
  const intakeDeadline = Math.max(deadline, accepted.endedAt + RECOVERY_MS);
  const intake = await waitFor(intakeDeadline, async () => {
    const { rows } = await suite.db.query<{ done: boolean }>(
      'SELECT intake_completed_at IS NOT NULL AS done FROM cases WHERE id = $1',
      [accepted.caseId],
    );
    return rows[0]?.done ? true : undefined;
  });
  if (!intake) {
    row.problems.push(`the intake of a case accepted after ${what} was not done within ${seconds(RECOVERY_MS)}`);
  }
  say(
    `${isReady && intake ? 'recovered' : 'not recovered'}: ready ${isReady ? 'yes' : 'NO'}, accepting yes, ` +
      `intake ${intake ? 'yes' : 'NO'}`,
  );
}

/** Runs one row: load before, the fault, the recovery, load after; the load's phase is the row's from its start. */
export async function runFault(suite: Suite, index: number, fault: Fault): Promise<Row> {
  const row: Row = { index, name: fault.name, from: now(), to: 0, problems: [], notes: [] };
  suite.load.phase = index;
  console.log(`\n[${index}/${FAULTS.length}] ${fault.name}`);
  await sleep(BEFORE_MS);
  const started = now();
  try {
    await fault.run(suite, row);
  } catch (error) {
    row.problems.push(`the fault could not be run: ${(error as Error).message}`);
  }
  const restored = now();
  say(`fault over after ${seconds(restored - started)}`);
  await awaitRecovery(suite, row, restored, 'the fault was over');
  await sleep(AFTER_MS);
  await settleIntake(suite, row);
  await reviveUnexpected(suite, row);
  row.to = now();
  return row;
}

/**
 * Waits (a little) for the intake of the cases the row accepted, so that the next fault does not land on this one's
 * backlog (a Redis emptied under jobs still waiting would lose them to the wrong row): while the backlog shrinks, up
 * to SETTLE_MS. What is still waiting is noted; the reconciliation decides.
 */
export async function settleIntake(suite: Suite, row: Row): Promise<void> {
  const since = now();
  const deadline = since + SETTLE_MS;
  let waiting = Infinity;
  let accepted: string[] = [];
  let progressAt = now();
  while (now() < deadline && now() - progressAt < STALL_MS) {
    // the row's submissions sent before the wait began, once they have their answers
    const answering = suite.load.waitingForAnswers(row.index, since);
    accepted = suite.load.records
      .filter((r) => r.phase === row.index && r.caseId && r.startedAt < since)
      .map((r) => r.caseId!);
    const { rows } = await suite.db
      .query<{ waiting: string }>(
        'SELECT count(*) AS waiting FROM cases WHERE id = ANY($1::uuid[]) AND intake_completed_at IS NULL',
        [accepted],
      )
      .catch(() => ({ rows: [{ waiting: String(waiting) }] }));
    const count = Number(rows[0].waiting);
    if (count === 0 && !answering) return;
    if (count < waiting || answering) progressAt = now();
    waiting = count;
    await sleep(250);
  }
  if (waiting > 0) {
    row.notes.push(`${waiting} of its ${accepted.length} accepted cases were still waiting for intake when it ended`);
  }
}

async function terminateSessions(suite: Suite): Promise<number> {
  const { rows } = await suite.db.query<{ ended: string }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name <> 'fault-suite'`,
  );
  return Number(rows[0].ended);
}

/** Uploads spooling in the API's temporary folder right now. */
function spoolFolders(suite: Suite): string[] {
  return readdirSync(suite.apiTmp).filter((name) => name.startsWith('sigdesk-intake-'));
}

/** The size of the largest file in a folder (0 when it is empty or gone). */
function largestFile(dir: string): number {
  try {
    return Math.max(0, ...readdirSync(dir).map((name) => statSync(join(dir, name)).size));
  } catch {
    return 0;
  }
}

/** Polls the intake queue until `enough` says yes; the last counts of waiting and active jobs, or undefined. */
async function intakeJobs(
  suite: Suite,
  timeoutMs: number,
  enough: (counts: { waiting: number; active: number }) => boolean,
): Promise<{ waiting: number; active: number } | undefined> {
  const backend = await openQueueBackend({
    redisUrl: suite.redis.url,
    redisPrefix: suite.redisPrefix,
    databaseUrl: suite.pg.url,
  });
  const queue = new Queue(QueueName.Intake, backend.options);
  queue.on('error', () => undefined);
  try {
    return await waitFor(now() + timeoutMs, async () => {
      const counts = { waiting: await queue.getWaitingCount(), active: await queue.getActiveCount() };
      return enough(counts) ? counts : undefined;
    });
  } finally {
    await queue.close();
    await backend.close();
  }
}

export const FAULTS: Fault[] = [
  {
    name: 'PostgreSQL sessions terminated',
    async run(suite) {
      let ended = 0;
      for (let round = 0; round < 5; round++) {
        ended += await terminateSessions(suite);
        await sleep(1_000);
      }
      say(`pg_terminate_backend ended ${ended} sigdesk sessions over 5 rounds, 1 s apart`);
    },
  },
  {
    name: 'PostgreSQL stopped for 5 s',
    async run(suite) {
      await suite.pg.stop();
      say('PostgreSQL stopped (fast shutdown)');
      await sleep(DOWN_MS);
      await suite.pg.start();
      say(`PostgreSQL started again on port ${suite.pg.port}`);
    },
  },
  {
    name: 'Redis killed for 5 s, data kept',
    async run(suite) {
      await suite.redis.kill();
      say('Redis killed (kill -9)');
      await sleep(DOWN_MS);
      await suite.redis.start();
      say(`Redis started again on port ${suite.redis.port} with its append-only file`);
    },
  },
  {
    name: 'Redis restarted empty (jobs waiting)',
    async run(suite, row) {
      // the worker held still for a moment, so that intake jobs are waiting in Redis when it loses them
      suite.worker.signal('SIGSTOP');
      try {
        const counts = await intakeJobs(suite, 5_000, (c) => c.waiting >= 10);
        if (!counts) row.notes.push('fewer than 10 intake jobs were waiting in Redis when it was emptied');
        await suite.redis.kill();
        suite.redis.wipe();
        await suite.redis.start();
        say(
          `Redis killed (kill -9) with ${counts?.waiting ?? 'few'} intake jobs waiting, started again on port ` +
            `${suite.redis.port} with no data`,
        );
      } finally {
        suite.worker.signal('SIGCONT');
      }
    },
  },
  {
    name: 'S3 down for 5 s',
    async run(suite) {
      await suite.s3.kill();
      say('S3 server killed (kill -9)');
      await sleep(DOWN_MS);
      await suite.s3.start();
      say(`S3 server started again on port ${suite.s3.port}, same folder`);
    },
  },
  {
    name: 'worker kill -9 mid-work',
    async run(suite, row) {
      const counts = await intakeJobs(suite, 5_000, (c) => c.active > 0);
      if (!counts) row.notes.push('no intake job was active when the worker was killed');
      await suite.worker.kill9();
      say(`worker killed (kill -9) with ${counts?.active ?? 0} intake job(s) active`);
      await sleep(1_000);
      await restart(suite, suite.worker);
      say('worker started again');
    },
  },
  {
    name: 'API kill -9 mid-upload',
    async run(suite, row) {
      const upload = slowUpload(suite.apiUrl, suite.buildCustomer, row.index, 64 * MiB, 8 * MiB);
      suite.load.add(upload.record);
      // the large upload's folder: the one holding a file of several MiB once 8 MiB are sent
      const spooling = await waitFor(now() + 15_000, () => {
        const folders = spoolFolders(suite).filter((name) => largestFile(join(suite.apiTmp, name)) >= 4 * MiB);
        return upload.sent() >= 8 * MiB && folders.length ? folders : undefined;
      });
      if (!spooling) row.notes.push('the large upload was not seen spooling before the kill');
      suite.spoolAtApiKill = spooling ?? [];
      suite.apiDown.push({ from: now(), to: Infinity, how: 'kill' });
      await suite.api.kill9();
      say(`API killed (kill -9) with ${(upload.sent() / MiB).toFixed(0)} MiB of a 64 MiB upload sent`);
      await sleep(1_000);
      await restart(suite, suite.api);
      say('API started again');
      await upload.done;
      if (upload.record.status !== 0) {
        row.notes.push(`the killed upload was answered ${upload.record.status}`);
      }
    },
  },
  {
    name: 'API SIGTERM under load',
    async run(suite, row) {
      const upload = slowUpload(suite.apiUrl, suite.buildCustomer, row.index, 24 * MiB, 8 * MiB);
      suite.load.add(upload.record);
      await waitFor(now() + 15_000, () => (upload.sent() >= 6 * MiB ? true : undefined));
      const window = { from: now(), to: Infinity, how: 'term' as const };
      suite.apiDown.push(window);
      const stopped = await suite.api.terminate(30_000);
      const exit = suite.api.exits.at(-1);
      if (!stopped) {
        row.problems.push('the API did not stop within 30 s of SIGTERM (killed)');
        await suite.api.kill9();
      } else if (exit && exit.signal !== 'SIGTERM' && exit.code !== 0) {
        row.problems.push(`the API ended with ${exit.signal ?? `code ${exit.code}`} on SIGTERM`);
      }
      say(`API stopped on SIGTERM in ${seconds(now() - window.from)}`);
      await upload.done;
      if (upload.record.status !== 201) {
        row.problems.push(
          `the upload in flight at SIGTERM was answered ${upload.record.status || upload.record.error}, not 201`,
        );
      } else {
        say('the upload in flight at SIGTERM was answered 201');
      }
      await restart(suite, suite.api);
      say('API started again');
    },
  },
  {
    name: 'build interrupted: worker kill -9',
    async run(suite, row) {
      const approved = await jsonRequest<{ status?: string }>(
        `${suite.apiUrl}/v1/signature-changes/${suite.buildChange.changeId}/approve`,
        'POST',
        suite.reviewerKey,
        {},
      );
      if (approved.status !== 200) {
        row.problems.push(`approving the change answered ${approved.status}: ${JSON.stringify(approved.body)}`);
        return;
      }
      const approvedAt = now();
      const building = await waitFor(
        now() + 30_000,
        async () => {
          const { rows } = await suite.db.query<{ version: number; stage: string }>(
            `SELECT version, stage FROM database_builds WHERE status = 'building' ORDER BY version DESC LIMIT 1`,
          );
          return rows[0];
        },
        25,
      );
      if (!building) {
        // tell a build that ran and ended between two looks (25 ms apart) from one that never started
        const { rows: since } = await suite.db.query<{ version: number; status: string; stage: string; ms: number }>(
          `SELECT version, status, stage, extract(epoch FROM finished_at - started_at) * 1000 AS ms
           FROM database_builds WHERE $1 = ANY(change_ids)`,
          [suite.buildChange.changeId],
        );
        const { rows: change } = await suite.db.query<{ status: string }>(
          'SELECT status FROM signature_changes WHERE id = $1',
          [suite.buildChange.changeId],
        );
        row.problems.push(
          'no build seen building within 30 s of the approval ' +
            `(change ${change[0]?.status ?? 'missing'}; its builds: ${
              since.map((b) => `${b.version} ${b.status} at "${b.stage}" in ${Math.round(b.ms)} ms`).join(', ') ||
              'none'
            })`,
        );
        return;
      }
      await suite.worker.kill9();
      const { rows } = await suite.db.query<{ status: string; stage: string }>(
        `SELECT status, stage FROM database_builds WHERE channel = 'default' AND version = $1`,
        [building.version],
      );
      const at = rows[0];
      say(
        `worker killed (kill -9) ${seconds(now() - approvedAt)} after the approval, build ${building.version} ` +
          `${at.status} at stage "${at.stage}"`,
      );
      if (at.status !== 'building') {
        row.problems.push(`build ${building.version} was ${at.status} before the kill: nothing was interrupted`);
      }
      await sleep(1_000);
      await restart(suite, suite.worker);
      const back = now();
      say('worker started again');
      row.pending = waitForBuild(suite, row, building.version, back);
    },
  },
];

/** The interrupted build must end stored with its own version, taken over by the worker that came back. */
async function waitForBuild(suite: Suite, row: Row, version: number, since: number): Promise<void> {
  const deadline = since + BUILD_RESUME_MS;
  let last = { status: 'unknown', stage: '', attempts: 0, failure: null as unknown };
  const settled = await waitFor(deadline, async () => {
    const { rows } = await suite.db.query<{ status: string; stage: string; attempts: number; failure: unknown }>(
      `SELECT status, stage, attempts, failure FROM database_builds WHERE channel = 'default' AND version = $1`,
      [version],
    );
    if (rows[0]) last = rows[0];
    return rows[0] && rows[0].status !== 'building' ? rows[0] : undefined;
  });
  if (!settled) {
    row.problems.push(
      `build ${version} was still ${last.status} (stage "${last.stage}") ${seconds(BUILD_RESUME_MS)} after the worker came back`,
    );
  } else if (settled.status === 'stored' || settled.status === 'published') {
    row.notes.push(
      `build ${version} was stored ${seconds(now() - since)} after the worker came back (attempt ${settled.attempts})`,
    );
  } else {
    row.problems.push(`build ${version} ended ${settled.status}: ${JSON.stringify(settled.failure)}`);
  }
}
