import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildsService, DatabaseBuilder } from '@sigdesk/builds';
import type { S3Server } from '@sigdesk/storage';
import {
  ApiClient,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  startTestS3Server,
  TestEnvironment,
  validatedChange,
} from '@sigdesk/testing';

/** An S3 server of this file's own, that the tests stop and start again. */
class FlakyS3 {
  private server?: S3Server;
  private readonly directory = mkdtempSync(join(tmpdir(), 'sigdesk-flaky-s3-'));
  port = 0;

  async start(): Promise<string> {
    this.server = await startTestS3Server(this.directory, this.port);
    this.port = this.server.port;
    return this.server.endpoint;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}

describe('database builds under faults', () => {
  let env: TestEnvironment;
  let s3: FlakyS3;
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;

  beforeAll(async () => {
    s3 = new FlakyS3();
    env = await startTestEnvironment({
      env: {
        S3_ENDPOINT: await s3.start(),
        SIGDESK_BUILD_MAX_ATTEMPTS: '2',
        SIGDESK_BUILD_LEASE_SECONDS: '5',
        // long enough that the test, not the queue, runs the builds it asks for
        SIGDESK_EXPEDITED_WINDOW_SECONDS: '300',
      },
    });
    await seedRelease(env, 1);
    msa = await seedCustomer(env, { tier: 'msa_start' });
    standard = await seedCustomer(env, { tier: 'standard', name: 'Standard Co' });
    author = await seedKey(env, 'analyst');
    reviewer = await seedKey(env, 'analyst');
  });
  afterAll(async () => {
    await env?.close();
    await s3?.stop();
  });

  it('writes the expedited build request of an approval in the approval transaction (outbox)', async () => {
    const change = await validatedChange(env, msa, author, 'Trojan_Outbox_Build');
    expect((await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {})).status).toBe(200);
    const rows = await env.db
      .selectFrom('outbox')
      .select(['job_name', 'payload', 'options'])
      .where('job_name', '=', 'builds.build-database')
      .execute();
    expect(rows).toEqual([
      {
        job_name: 'builds.build-database',
        payload: { channel: 'default', kind: 'expedited' },
        options: expect.objectContaining({ deduplication: expect.objectContaining({ id: 'expedited-default' }) }),
      },
    ]);
  });

  it('ends a build whose storage keeps failing as failed, with the reason, and the next build runs', async () => {
    const builder = env.sigdesk.app.get(DatabaseBuilder);
    await s3.stop();
    // first attempt: the lease is given back for the retry, with the version kept
    await expect(builder.build('default', 'expedited')).rejects.toThrow();
    const retrying = await env.db
      .selectFrom('database_builds')
      .selectAll()
      .where('version', '=', 2)
      .executeTakeFirstOrThrow();
    expect(retrying).toMatchObject({ status: 'building', attempts: 1, lease_owner: null });
    // last attempt: failed for good, with the reason
    expect(await builder.build('default', 'expedited')).toEqual({ version: 2, status: 'failed' });
    const failed = await env.db
      .selectFrom('database_builds')
      .selectAll()
      .where('version', '=', 2)
      .executeTakeFirstOrThrow();
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 2,
      failure: expect.objectContaining({ gate: 'error' }),
    });

    await s3.start();
    expect(await builder.build('default', 'expedited')).toEqual({ version: 3, status: 'stored' });
  });

  it('never runs a build whose lease is held, and takes over one whose lease expired', async () => {
    const change = await validatedChange(env, standard, author, 'Trojan_Lease');
    await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {});
    await env.db
      .insertInto('database_builds')
      .values({
        channel: 'default',
        version: 4,
        parent_version: 3,
        kind: 'scheduled',
        status: 'building',
        change_ids: [change.changeId],
        lease_owner: 'another-worker',
        lease_expires_at: new Date(Date.now() + 60_000),
        attempts: 1,
      })
      .execute();
    const builder = env.sigdesk.app.get(DatabaseBuilder);
    expect(await builder.build('default', 'scheduled')).toEqual({ version: 4, status: 'busy' });
    // the other worker died: its lease runs out
    await env.db
      .updateTable('database_builds')
      .set({ lease_expires_at: new Date(Date.now() - 1000) })
      .where('version', '=', 4)
      .execute();
    expect(await builder.build('default', 'scheduled')).toEqual({ version: 4, status: 'stored' });
    const row = await env.db
      .selectFrom('database_builds')
      .selectAll()
      .where('version', '=', 4)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'stored', attempts: 2, lease_owner: null });
  });

  it('asks for a scheduled build of every channel with approved changes', async () => {
    await new ApiClient(env.url, env.adminKey).post('/v1/admin/database-releases', {
      channel: 'gamma',
      version: 1,
      releasedAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const onGamma = await validatedChange(env, standard, author, 'Trojan_Gamma', { channel: 'gamma' });
    const onDefault = await validatedChange(env, standard, author, 'Trojan_Default_Scheduled');
    for (const c of [onGamma, onDefault]) await reviewer.post(`/v1/signature-changes/${c.changeId}/approve`, {});
    const requested = await env.sigdesk.app.get(BuildsService).requestScheduledBuilds();
    expect(requested.channels.sort()).toEqual(['default', 'gamma']);
  });
});
