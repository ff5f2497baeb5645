import { randomBytes } from 'node:crypto';
import { Job, Worker } from 'bullmq';
import { sql } from 'kysely';
import { JobName, jobIdFor, JobQueueService, QUEUE_OF_JOB, QueueBackend } from '@sigdesk/queues';
import {
  ApiClient,
  confirmedCase,
  DisposableRedis,
  eventually,
  freePort,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';
import { IntakeQueueProcessor, periodicJobs, SignaturesQueueProcessor } from '@sigdesk/worker';

/** `work`, or a failure naming what did not answer in time (instead of a test that hangs). */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const NEVER = new Promise<never>(() => undefined);

function ruleFor(reference: string, marker: string, name: string): string {
  return `rule ${name}\n{\n    meta:\n        case = "${reference}"\n    strings:\n        $m = "${marker}"\n    condition:\n        $m\n}`;
}

/** A confirmed false negative whose sample carries a marker, ready for an add_detection change. */
async function caseForChange(env: TestEnvironment, customer: SeededCustomer, analyst: ApiClient) {
  const marker = `MARKER-${randomBytes(8).toString('hex')}`;
  const confirmed = await confirmedCase(env, customer, analyst, Buffer.concat([randomBytes(64), Buffer.from(marker)]));
  return { ...confirmed, marker };
}

async function proposeChange(
  analyst: ApiClient,
  target: { id: string; reference: string; marker: string },
  name: string,
): Promise<string> {
  const proposed = await analyst.post(`/v1/cases/${target.id}/signature-changes`, {
    type: 'add_detection',
    rule: ruleFor(target.reference, target.marker, name),
  });
  if (proposed.status !== 202) throw new Error(`proposal: ${proposed.status} ${JSON.stringify(proposed.body)}`);
  return proposed.body.id;
}

async function outboxRelayed(env: TestEnvironment): Promise<void> {
  const pending = await eventually(
    async () =>
      Number(
        (
          await env.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('dispatched_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    (n) => n === 0,
  );
  expect(pending).toBe(0);
}

async function casesWithoutIntake(env: TestEnvironment): Promise<string[]> {
  const rows = await env.db.selectFrom('cases').select('id').where('intake_completed_at', 'is', null).execute();
  return rows.map((r) => r.id);
}

async function changeStatus(env: TestEnvironment, id: string): Promise<string> {
  const row = await env.db
    .selectFrom('signature_changes')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.status;
}

/** The periodic jobs whose scheduler is missing. */
async function missingSchedulers(env: TestEnvironment): Promise<string[]> {
  const jobs = env.sigdesk.app.get(JobQueueService);
  const missing: string[] = [];
  for (const periodic of periodicJobs(env.config)) {
    const scheduler = await jobs.queue(QUEUE_OF_JOB[periodic.job]).getJobScheduler(periodic.id);
    if (!scheduler) missing.push(periodic.id);
  }
  return missing;
}

/** Intake and validation stop taking jobs (the jobs stay in the queues), until `resume`. */
async function pauseConsumers(env: TestEnvironment) {
  const workers = [
    env.sigdesk.app.get(IntakeQueueProcessor).worker,
    env.sigdesk.app.get(SignaturesQueueProcessor).worker,
  ];
  for (const worker of workers) await worker.pause();
  return { resume: () => Promise.all(workers.map((worker) => worker.resume())) };
}

/** What the queues lost is back and done: every case's intake, the validation of the change, the periodic jobs. */
async function expectEverythingPutBack(env: TestEnvironment, changeId: string): Promise<void> {
  expect(
    await eventually(
      () => casesWithoutIntake(env),
      (ids) => ids.length === 0,
      120_000,
    ),
  ).toEqual([]);
  expect(
    await eventually(
      () => changeStatus(env, changeId),
      (s) => s !== 'validating',
      120_000,
    ),
  ).toBe('validated');
  expect(
    await eventually(
      () => missingSchedulers(env),
      (ids) => ids.length === 0,
      60_000,
    ),
  ).toEqual([]);
}

describe('the queues on Redis when Redis fails', () => {
  let redis: DisposableRedis;
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let analyst: ApiClient;
  let lostChangeId: string;
  let resume: () => Promise<unknown>;

  beforeAll(async () => {
    redis = new DisposableRedis(await freePort());
    await redis.start();
    env = await startTestEnvironment({ queues: { redisUrl: redis.url } });
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    analyst = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    // the environment cleans its keys up in Redis
    if (redis && !redis.running) await redis.start();
    await env?.close();
    await redis?.kill();
  });

  it('takes submissions and answers every route while Redis is down; readiness names Redis alone', async () => {
    // jobs that reach Redis and are lost with it: an intake and a validation, held while Redis still runs
    const target = await caseForChange(env, customer, analyst);
    ({ resume } = await pauseConsumers(env));
    const lost = await customer.client.upload('/v1/submissions', submissionForm({ databaseVersion: '1' }));
    expect(lost.status).toBe(201);
    lostChangeId = await proposeChange(analyst, target, 'Trojan_Lost_With_Redis');
    await outboxRelayed(env);

    await redis.kill();

    // one after the other, more than the API has database connections: each commits jobs that cannot reach
    // Redis, and none may keep a connection waiting for it
    const submitted = [];
    for (let i = 0; i < 14; i++) {
      submitted.push(
        await within(
          30_000,
          `submission ${i + 1} while Redis is down`,
          customer.client.upload('/v1/submissions', submissionForm({ databaseVersion: '1' })),
        ),
      );
    }
    expect(submitted.map((r) => r.status)).toEqual(Array(14).fill(201));
    expect(submitted.every((r) => r.body.status === 'queued')).toBe(true);
    // and no transaction stays open while the jobs wait for Redis
    const { rows: open } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state LIKE 'idle in transaction%'`.execute(env.db);
    expect(open[0].n).toBe(0);

    const list = await within(20_000, 'the case list', customer.client.get('/v1/submissions'));
    expect(list.status).toBe(200);
    const queue = await within(20_000, 'the review queue', analyst.get('/v1/review-queue'));
    expect(queue.status).toBe(200);
    const one = await within(20_000, 'a case', analyst.get(`/v1/cases/${submitted[0].body.id}`));
    expect(one.status).toBe(200);
    const metrics = await within(20_000, 'the metrics', new ApiClient(env.url).get('/metrics'));
    expect(metrics.status).toBe(200);

    const ready = await within(20_000, 'readiness', new ApiClient(env.url).get('/health/ready'));
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'down',
      checks: { postgres: { status: 'up' }, redis: { status: 'down' }, s3: { status: 'up' } },
    });
  }, 180_000);

  it('after Redis comes back empty: intake of every case, the lost validation, and the periodic jobs again', async () => {
    await redis.start();
    await resume();

    await expectEverythingPutBack(env, lostChangeId);
    const ready = await eventually(
      () => new ApiClient(env.url).get('/health/ready'),
      (r) => r.status === 200,
    );
    expect(ready.body.checks.redis).toEqual({ status: 'up' });
  }, 300_000);
});

describe('the queues on PostgreSQL when their rows are deleted', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let analyst: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment({ queues: 'postgres' });
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    analyst = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('puts back the intake, the validation and the periodic jobs that PostgreSQL says are due', async () => {
    const target = await caseForChange(env, customer, analyst);
    const { resume } = await pauseConsumers(env);
    const lost = await customer.client.upload('/v1/submissions', submissionForm({ databaseVersion: '1' }));
    expect(lost.status).toBe(201);
    const changeId = await proposeChange(analyst, target, 'Trojan_Lost_With_Rows');
    await outboxRelayed(env);

    await sql`DELETE FROM bullmq.job`.execute(env.db);
    await sql`DELETE FROM bullmq.scheduler`.execute(env.db);
    await resume();

    await expectEverythingPutBack(env, changeId);
  }, 300_000);
});

describe('validations whose job failed or whose worker died', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let analyst: ApiClient;

  beforeAll(async () => {
    env = await startTestEnvironment();
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    analyst = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
  });

  /** A worker of the test's own on the signatures queue, taking the jobs the paused real one leaves. */
  function standIn(process: (job: Job) => Promise<unknown>, options: { lockDuration?: number } = {}) {
    return new Worker(QUEUE_OF_JOB[JobName.ValidateSignatureChange], process, {
      ...env.sigdesk.app.get(QueueBackend).options,
      ...options,
    });
  }

  it('runs a validation again once its job has run out of attempts', async () => {
    const target = await caseForChange(env, customer, analyst);
    const real = env.sigdesk.app.get(SignaturesQueueProcessor).worker;
    await real.pause();
    const changeId = await proposeChange(analyst, target, 'Trojan_Out_Of_Attempts');
    await outboxRelayed(env);
    // the job as if every attempt had failed while a dependency was down
    const queue = env.sigdesk.app.get(JobQueueService).queue(QUEUE_OF_JOB[JobName.ValidateSignatureChange]);
    const jobId = jobIdFor(JobName.ValidateSignatureChange, changeId);
    await queue.remove(jobId);
    await queue.add(JobName.ValidateSignatureChange, { changeId }, { jobId, attempts: 1 });
    const failing = standIn(async () => {
      throw new Error('object storage is not answering');
    });
    const failed = await eventually(
      async () => (await queue.getJob(jobId))?.getState(),
      (state) => state === 'failed',
    );
    await failing.close();
    expect(failed).toBe('failed');
    expect(await changeStatus(env, changeId)).toBe('validating');

    await real.resume();
    expect(
      await eventually(
        () => changeStatus(env, changeId),
        (s) => s !== 'validating',
        120_000,
      ),
    ).toBe('validated');
  }, 240_000);

  it('resumes a validation whose worker died, well before a two-minute lock would have run out', async () => {
    const target = await caseForChange(env, customer, analyst);
    const real = env.sigdesk.app.get(SignaturesQueueProcessor).worker;
    await real.pause();
    const changeId = await proposeChange(analyst, target, 'Trojan_Worker_Died');
    // a worker with sigdesk's lock takes the validation, then dies in the middle of it
    let taken!: () => void;
    const started = new Promise<void>((resolve) => (taken = resolve));
    const dying = standIn(
      async () => {
        taken();
        return NEVER;
      },
      { lockDuration: real.opts.lockDuration },
    );
    await within(60_000, 'the stand-in worker taking the job', started);
    await dying.close(true);
    const died = Date.now();
    await real.resume();

    expect(
      await eventually(
        () => changeStatus(env, changeId),
        (s) => s !== 'validating',
        90_000,
      ),
    ).toBe('validated');
    expect(Date.now() - died).toBeLessThan(90_000);
  }, 240_000);
});
