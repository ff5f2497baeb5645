import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyFiles } from '@sigdesk/builds';
import { formatStartupSummary, startSigdesk, StartedSigdesk } from '@sigdesk/runtime';
import { createS3Client, EMBEDDED_S3, EmbeddedS3, StorageKeys } from '@sigdesk/storage';
import {
  ApiClient,
  eventually,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
  validatedChange,
} from '@sigdesk/testing';

const embeddedOf = (app: StartedSigdesk) => app.app.get<EmbeddedS3>(EMBEDDED_S3, { strict: false });
const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** A request with no signature at all, as anyone who reaches the port can send it. */
async function anonymous(method: string, url: string, body?: Buffer) {
  const response = await fetch(url, { method, body });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], text };
}

/** What an S3 client call failed with: the status and S3's error code. */
async function s3Refusal(call: Promise<unknown>) {
  const error = (await call.then(
    () => null,
    (e: unknown) => e,
  )) as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return error && { status: error.$metadata?.httpStatusCode, code: error.name };
}

/** The local addresses of the sockets that listen on `port`, from the kernel's tables (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hexPort}`) && state === '0A') found.push(local.split(':')[0]);
    }
  }
  return found;
}

describe('the embedded S3 server', () => {
  let env: TestEnvironment;
  let embedded: EmbeddedS3;
  let bucket: string;
  let customer: SeededCustomer;
  /** A sample a customer sent: what an attacker on the machine would want. */
  const marker = `CONFIDENTIAL-${randomBytes(8).toString('hex')}`;
  const content = Buffer.concat([randomBytes(64), Buffer.from(marker)]);
  const sampleKey = StorageKeys.sample(createHash('sha256').update(content).digest('hex'));

  beforeAll(async () => {
    env = await startTestEnvironment({ embeddedS3: true, env: { SIGDESK_EXPEDITED_WINDOW_SECONDS: '1' } });
    embedded = embeddedOf(env.sigdesk);
    bucket = env.config.s3.bucket;
    await seedRelease(env, 1);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'invoice.pdf', content }]),
    );
    expect(submitted.status).toBe(201);
    expect(await env.store.head(sampleKey)).not.toBeNull();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('listens on 127.0.0.1 only', async () => {
    const port = portOf(embedded.endpoint);
    expect(listeners(port)).toEqual(['0100007F']);
    const elsewhere = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal)
      .map((address) => address!.address);
    for (const host of elsewhere) {
      const socket = connect({ host, port, timeout: 2_000 });
      const reached = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
        socket.once('timeout', () => resolve(false));
      });
      socket.destroy();
      expect({ host, reached }).toEqual({ host, reached: false });
    }
  });

  it('refuses an anonymous listing of the bucket, and shows no key', async () => {
    const listing = await anonymous('GET', `${embedded.endpoint}/${bucket}?list-type=2`);
    expect({ status: listing.status, code: listing.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(listing.text).not.toContain('samples/');
    expect(listing.text).not.toContain(sampleKey);
  });

  it('refuses an anonymous listing of the buckets, and names none', async () => {
    const listing = await anonymous('GET', `${embedded.endpoint}/`);
    expect({ status: listing.status, code: listing.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(listing.text).not.toContain(bucket);
  });

  it('refuses an anonymous download of a stored sample, and sends none of its bytes', async () => {
    const download = await anonymous('GET', `${embedded.endpoint}/${bucket}/${sampleKey}`);
    expect({ status: download.status, code: download.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(download.text).not.toContain(marker);
  });

  it('refuses an anonymous upload, and stores nothing', async () => {
    const planted = 'samples/00/planted-by-anyone';
    const upload = await anonymous('PUT', `${embedded.endpoint}/${bucket}/${planted}`, Buffer.from('not a sample'));
    expect({ status: upload.status, code: upload.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect(await env.store.head(planted)).toBeNull();
  });

  it('refuses an anonymous delete, and the sample stays', async () => {
    const removal = await anonymous('DELETE', `${embedded.endpoint}/${bucket}/${sampleKey}`);
    expect({ status: removal.status, code: removal.code }).toEqual({ status: 403, code: 'AccessDenied' });
    expect((await env.store.getBuffer(sampleKey)).equals(content)).toBe(true);
  });

  it('refuses requests signed with the right key id and a wrong secret, and stores nothing', async () => {
    const wrong = createS3Client({
      endpoint: embedded.endpoint,
      region: env.config.s3.region,
      accessKeyId: embedded.credentials.accessKeyId,
      secretAccessKey: 'a guess at the secret',
    });
    try {
      expect(await s3Refusal(wrong.send(new GetObjectCommand({ Bucket: bucket, Key: sampleKey })))).toEqual({
        status: 403,
        code: 'SignatureDoesNotMatch',
      });
      const put = wrong.send(new PutObjectCommand({ Bucket: bucket, Key: 'planted/wrong-secret', Body: 'x' }));
      expect(await s3Refusal(put)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(await env.store.head('planted/wrong-secret')).toBeNull();
    } finally {
      wrong.destroy();
    }
  });

  it("refuses s3rver's well-known keys (S3RVER / S3RVER)", async () => {
    const known = createS3Client({
      endpoint: embedded.endpoint,
      region: env.config.s3.region,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    try {
      expect(await s3Refusal(known.send(new ListObjectsV2Command({ Bucket: bucket })))).toEqual({
        status: 403,
        code: 'InvalidAccessKeyId',
      });
    } finally {
      known.destroy();
    }
  });

  it('refuses a presigned URL turned to another object, and sends none of its bytes', async () => {
    await env.store.put('public/decoy.txt', Buffer.from('a file someone may download'));
    const client = createS3Client({
      endpoint: embedded.endpoint,
      region: env.config.s3.region,
      ...embedded.credentials,
    });
    try {
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'public/decoy.txt' }), {
        expiresIn: 300,
      });
      expect((await fetch(url)).status).toBe(200);
      const turned = url.replace('/public/decoy.txt?', `/${sampleKey}?`);
      expect(turned).not.toBe(url);
      const download = await anonymous('GET', turned);
      expect({ status: download.status, code: download.code }).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(download.text).not.toContain(marker);
    } finally {
      client.destroy();
    }
  });

  it('refuses a signed upload whose body was changed after signing, and stores nothing', async () => {
    const client = createS3Client({
      endpoint: embedded.endpoint,
      region: env.config.s3.region,
      ...embedded.credentials,
    });
    // what a man in the middle would do: the signature (over the SHA-256 of "the real rule") and every signed header
    // stay, the body changes (to as many bytes)
    const planted = Buffer.from('a plant rule!');
    client.middlewareStack.addRelativeTo(
      (next: any) => async (args: any) => {
        const request = args.request as { body: unknown; headers: Record<string, string> };
        expect(request.headers['content-length']).toBe(String(planted.length));
        request.body = planted;
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'changeBodyAfterSigning' },
    );
    try {
      const put = client.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'builds/tampered/rules.yar', Body: Buffer.from('the real rule') }),
      );
      expect(await s3Refusal(put)).toEqual({ status: 400, code: 'XAmzContentSHA256Mismatch' });
      expect(await env.store.head('builds/tampered/rules.yar')).toBeNull();
    } finally {
      client.destroy();
    }
  });

  it('refuses an expired presigned URL, and sends none of the bytes', async () => {
    const client = createS3Client({
      endpoint: embedded.endpoint,
      region: env.config.s3.region,
      ...embedded.credentials,
    });
    try {
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: sampleKey }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 120_000),
      });
      const download = await anonymous('GET', url);
      expect({ status: download.status, code: download.code }).toEqual({ status: 403, code: 'AccessDenied' });
      expect(download.text).toContain('expired');
      expect(download.text).not.toContain(marker);
    } finally {
      client.destroy();
    }
  });

  it('serves the downloads of a database build through its presigned URLs', async () => {
    const author = await seedKey(env, 'analyst');
    const reviewer = await seedKey(env, 'analyst');
    const release = await seedKey(env, 'release');
    const change = await validatedChange(env, customer, author, 'Sec_Embedded_S3_Download');
    expect((await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {})).status).toBe(200);
    const builds = await eventually(
      () => release.get('/v1/database-builds'),
      (res) => res.body.items.some((b: any) => b.status === 'stored'),
      60_000,
    );
    const version = builds.body.items.find((b: any) => b.status === 'stored').version;
    const detail = await release.get(`/v1/database-builds/${version}`);
    const manifestUrl: string = detail.body.downloads['manifest.json'];
    expect(manifestUrl.startsWith(`${embedded.endpoint}/`)).toBe(true);
    const manifest = JSON.parse(Buffer.from(await (await fetch(manifestUrl)).arrayBuffer()).toString());
    const files: Record<string, Buffer> = {};
    for (const file of manifest.files) {
      const response = await fetch(detail.body.downloads[file.name]);
      expect({ file: file.name, status: response.status }).toEqual({ file: file.name, status: 200 });
      files[file.name] = Buffer.from(await response.arrayBuffer());
    }
    expect(verifyFiles(manifest, files)).toEqual([]);
    expect(files['rules.yar'].toString()).toContain(change.marker);
    // the same object without the URL's signature is refused
    const unsigned = await anonymous('GET', manifestUrl.split('?')[0]);
    expect(unsigned.status).toBe(403);
  }, 120_000);

  it('makes its keys at the first start and keeps them in DATA_DIR/s3.json, readable by its user only', async () => {
    const file = join(env.config.dataDir, 's3.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    expect(kept).toEqual({ port: portOf(embedded.endpoint), ...embedded.credentials });
    expect(embedded.credentials.accessKeyId).not.toBe('S3RVER');
    expect(Buffer.from(embedded.credentials.secretAccessKey, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(formatStartupSummary(env.sigdesk.summary)).toMatch(
      new RegExp(`S3\\s+embedded, ${embedded.endpoint}.*keys in ${file}`),
    );
    // the summary says where the keys are, never what they are
    expect(formatStartupSummary(env.sigdesk.summary)).not.toContain(embedded.credentials.secretAccessKey);

    // another installation gets keys and a port of its own
    const other = await startTestEnvironment({ embeddedS3: true, worker: false });
    try {
      const theirs = embeddedOf(other.sigdesk);
      expect(theirs.credentials.accessKeyId).not.toBe(embedded.credentials.accessKeyId);
      expect(theirs.credentials.secretAccessKey).not.toBe(embedded.credentials.secretAccessKey);
      expect(theirs.endpoint).not.toBe(embedded.endpoint);
      // and each server refuses the other's keys
      const crossed = createS3Client({ endpoint: embedded.endpoint, region: 'us-east-1', ...theirs.credentials });
      expect(await s3Refusal(crossed.send(new ListObjectsV2Command({ Bucket: bucket })))).toEqual({
        status: 403,
        code: 'InvalidAccessKeyId',
      });
      crossed.destroy();
    } finally {
      await other.close();
    }
  });
});

describe('the embedded S3 server when its port is taken', () => {
  /** A program that squats the port: it answers every request 200 with an empty bucket list, and writes them down. */
  let impostor: Server;
  const seen: Array<{ method: string; url: string; bytes: number }> = [];
  let dataDir: string;
  let env: TestEnvironment | undefined;

  beforeAll(async () => {
    impostor = createServer((request: IncomingMessage, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, bytes });
        response.writeHead(200, { 'content-type': 'application/xml' });
        response.end('<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>');
      });
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    dataDir = mkdtempSync(join(tmpdir(), 'sigdesk-test-s3-port-'));
    // the port this installation remembers, taken since by the impostor
    writeFileSync(join(dataDir, 's3.json'), JSON.stringify({ port: (impostor.address() as { port: number }).port }));
  });
  afterAll(async () => {
    await env?.close();
    await new Promise((resolve) => impostor.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves to a free port, says so, remembers it, and sends the squatter nothing', async () => {
    const taken = (impostor.address() as { port: number }).port;
    env = await startTestEnvironment({ embeddedS3: true, worker: false, dataDir });
    const embedded = embeddedOf(env.sigdesk);
    expect(embedded.serving).toBe(true);
    expect(portOf(embedded.endpoint)).not.toBe(taken);
    expect(embedded.notice).toContain(`port ${taken} of the embedded S3 server is taken by another program`);
    expect(formatStartupSummary(env.sigdesk.summary)).toContain(embedded.notice);
    expect(JSON.parse(readFileSync(join(dataDir, 's3.json'), 'utf8')).port).toBe(portOf(embedded.endpoint));

    await seedRelease(env, 1);
    const customer = await seedCustomer(env);
    const submitted = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'sample.bin', content: randomBytes(256) }]),
    );
    expect(submitted.status).toBe(201);
    // the squatter answered the one probe (a signed request it could not prove it knows the secret of), no more
    expect(seen).toEqual([{ method: 'GET', url: expect.stringMatching(/^\/\?/), bytes: 0 }]);
  });
});

describe('the embedded S3 server of API and worker started apart', () => {
  let env: TestEnvironment;
  const started: StartedSigdesk[] = [];

  beforeAll(async () => {
    env = await startTestEnvironment({ embeddedS3: true, worker: false });
    await seedRelease(env, 1);
  });
  afterAll(async () => {
    for (const process of started.reverse()) await process.close();
    await env?.close();
  });

  const intakeDone = async (api: ApiClient, analyst: ApiClient) => {
    const submitted = await api.upload(
      '/v1/submissions',
      submissionForm({ databaseVersion: '1' }, [{ name: 'sample.bin', content: randomBytes(300) }]),
    );
    expect(submitted.status).toBe(201);
    const done = await eventually(
      () => analyst.get(`/v1/cases/${submitted.body.id}`),
      (res) => res.body.timeline?.some((e: { type: string }) => e.type === 'intake_completed'),
      30_000,
    );
    return done.body.timeline.some((e: { type: string }) => e.type === 'intake_completed');
  };

  it('is served by the first, used by the other, and served by the other once the first stops', async () => {
    const customer = await seedCustomer(env);
    const analyst = await seedKey(env, 'analyst');
    const api = embeddedOf(env.sigdesk);
    const worker = await startSigdesk(env.sigdesk.config, { api: false, worker: true });
    started.push(worker);
    const workers = embeddedOf(worker);
    expect(api.serving).toBe(true);
    expect(workers.serving).toBe(false);
    expect(workers.endpoint).toBe(api.endpoint);
    expect(workers.credentials).toEqual(api.credentials);
    // the worker reads the sample the API stored, through the API's server
    expect(await intakeDone(customer.client, analyst)).toBe(true);

    await env.stop();
    const takenOver = await eventually(
      async () => workers.serving,
      (serving) => serving,
      10_000,
    );
    expect(takenOver).toBe(true);

    // an API started again uses the worker's server, on the same port
    const again = await startSigdesk(env.sigdesk.config, { api: true, worker: false });
    started.push(again);
    expect(embeddedOf(again).serving).toBe(false);
    expect(embeddedOf(again).endpoint).toBe(api.endpoint);
    const restarted = new ApiClient(again.url!, customer.key);
    expect(await intakeDone(restarted, new ApiClient(again.url!, analyst.key))).toBe(true);
  });
});
