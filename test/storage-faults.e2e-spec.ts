import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Server } from '@sigdesk/storage';
import {
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  startTestS3Server,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

/** An S3 server of this file's own (the run's is shared), stopped and started again on the same port and data. */
class StoppableS3 {
  private server?: S3Server;
  port = 0;

  constructor(private readonly directory: string) {}

  async start(): Promise<string> {
    this.server = await startTestS3Server(this.directory, this.port);
    this.port = this.server.port;
    return this.server.endpoint;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  get running(): boolean {
    return Boolean(this.server);
  }
}

describe('S3 stopped and started again', () => {
  let directory: string;
  let s3: StoppableS3;
  let env: TestEnvironment;
  let customer: SeededCustomer;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sigdesk-test-stopped-s3-'));
    s3 = new StoppableS3(directory);
    env = await startTestEnvironment({ worker: false, env: { S3_ENDPOINT: await s3.start() } });
    await seedRelease(env, 100);
    customer = await seedCustomer(env);
  });
  afterAll(async () => {
    await env?.close();
    await s3?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  const submit = () =>
    customer.client.upload('/v1/submissions', submissionForm({}, [{ name: 'sample.bin', content: randomBytes(512) }]));

  it('answers a submission 503 naming the storage while S3 is down, and takes it once S3 is back', async () => {
    expect((await submit()).status).toBe(201);
    await s3.stop();

    const refused = await submit();
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 503,
      body: {
        error: 'unavailable',
        message: 'The sample storage is unavailable; try again shortly.',
        dependency: 'storage',
      },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // what needs no storage is served meanwhile
    expect((await customer.client.get('/v1/submissions')).status).toBe(200);

    await s3.start();
    expect((await submit()).status).toBe(201);
  });
});
