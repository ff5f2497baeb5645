import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiClient,
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';
import { MultipartBody, rawRequest, SpoolWatch } from './support/raw-http';
import { RawConnection } from './support/raw-socket';
import { rowCounts } from './support/stored-state';

/**
 * Connections are not held forever: headers and bodies that come too slowly are answered 408 and the connection
 * closed, an upload slower than the minimum rate loses its spool folder and stores nothing, and a request without
 * credentials is refused before its body. The limits are small here so that the attacks end in seconds.
 */
describe('slow requests', () => {
  let env: TestEnvironment;
  let spoolRoot: string;
  let spool: SpoolWatch;
  let acme: SeededCustomer;
  let admin: ApiClient;
  const connections: RawConnection[] = [];

  const open = () => {
    const connection = new RawConnection(env.url);
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    spoolRoot = await mkdtemp(join(tmpdir(), 'sigdesk-slow-spool-'));
    env = await startTestEnvironment({
      worker: false,
      env: {
        SIGDESK_SPOOL_DIR: spoolRoot,
        SIGDESK_HTTP_HEADERS_TIMEOUT_SECONDS: '1',
        SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS: '2',
        SIGDESK_UPLOAD_MIN_RATE_KIB: '4',
        SIGDESK_UPLOAD_MIN_RATE_WINDOW_SECONDS: '1',
      },
    });
    spool = new SpoolWatch(spoolRoot);
    admin = new ApiClient(env.url, env.adminKey);
    await seedRelease(env, 100);
    acme = await seedCustomer(env, { name: 'Acme' });
  });

  afterEach(() => {
    for (const connection of connections.splice(0)) connection.destroy();
  });

  afterAll(async () => {
    spool?.close();
    await env?.close();
    await rm(spoolRoot, { recursive: true, force: true });
  });

  async function objects(): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of env.store.list('')) keys.push(object.key);
    return keys.sort();
  }

  const submissionFields = {
    kind: 'false_negative',
    severity: '1',
    product: 'Endpoint Security',
    productVersion: '12.4',
    databaseVersion: '100',
    description: 'missed dropper',
  };

  it('cuts an upload trickled at 1 byte/s with 408 upload_too_slow, removes its spool folder and stores nothing', async () => {
    const rowsBefore = await rowCounts(env.db);
    const objectsBefore = await objects();
    spool.reset();
    // the fields and the first 16 KiB of the sample at once (its spool folder and file are made), then 1 byte/s
    const multipart = new MultipartBody()
      .fields(submissionFields)
      .file('sample', 'dropper.exe', randomBytes(16 * 1024), true);
    const rest = multipart.closing(randomBytes(1024));
    const connection = open();
    connection.send(
      `POST /v1/submissions HTTP/1.1\r\nHost: sigdesk\r\nAuthorization: Bearer ${acme.key}\r\n` +
        `Content-Type: ${multipart.contentType()}\r\nContent-Length: ${multipart.bytes.length + rest.length}\r\n\r\n`,
    );
    connection.send(multipart.bytes);
    connection.sendSlowly(rest, 1, 1000);

    const answer = await connection.answer();
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ error: 'upload_too_slow', minRateKiB: 4, windowSeconds: 1 });
    expect(typeof answer.body.message).toBe('string');
    expect(answer.headers.connection).toBe('close');
    // cut within a few windows, long before the body could have arrived
    expect(answer.closedAfterMs).toBeLessThan(10_000);
    expect(connection.written).toBeLessThan(multipart.bytes.length + rest.length);

    // the request had made its spool folder, and it is gone with nothing stored
    expect(await spool.made()).toHaveLength(1);
    await expect(readdir(spoolRoot)).resolves.toEqual([]);
    expect(await rowCounts(env.db)).toEqual(rowsBefore);
    expect(await objects()).toEqual(objectsBefore);
  });

  it('takes an upload on a slow line that lasts longer than the request timeout but keeps the minimum rate', async () => {
    const sample = randomBytes(48 * 1024);
    const multipart = new MultipartBody().fields(submissionFields).file('sample', 'dropper.exe', sample, true);
    const rest = multipart.closing();
    const connection = open();
    connection.send(
      `POST /v1/submissions HTTP/1.1\r\nHost: sigdesk\r\nConnection: close\r\nAuthorization: Bearer ${acme.key}\r\n` +
        `Content-Type: ${multipart.contentType()}\r\nContent-Length: ${multipart.bytes.length + rest.length}\r\n\r\n`,
    );
    // about 16 KiB/s (4 times the minimum rate): the body takes about 3 s, past the 2 s request timeout
    connection.sendSlowly(Buffer.concat([multipart.bytes, rest]), 2048, 125);
    const answer = await connection.answer();
    expect(answer.status).toBe(201);
    expect(answer.body.samples).toHaveLength(1);
    expect(answer.closedAfterMs).toBeGreaterThan(2_000);
    await expect(readdir(spoolRoot)).resolves.toEqual([]);
  });

  it('cuts a JSON body that does not arrive within the request timeout with 408 request_timeout', async () => {
    const rowsBefore = await rowCounts(env.db);
    const body = Buffer.from(JSON.stringify({ name: 'Slow Org', timezone: 'Europe/Madrid', country: 'ES' }));
    const connection = open();
    connection.send(
      `POST /v1/admin/organizations HTTP/1.1\r\nHost: sigdesk\r\nAuthorization: Bearer ${env.adminKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    connection.sendSlowly(body, 1, 500);
    const answer = await connection.answer();
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ error: 'request_timeout', timeoutSeconds: 2 });
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(1_900);
    expect(answer.closedAfterMs).toBeLessThan(6_000);
    expect(await rowCounts(env.db)).toEqual(rowsBefore);
  });

  it('cuts headers that trickle in with 408 request_timeout', async () => {
    const connection = open();
    connection.send('GET /health/live HTTP/1.1\r\nHost: sigdesk\r\n');
    connection.sendSlowly(Buffer.from('X-Slow: ' + 'a'.repeat(100)), 1, 200);
    const answer = await connection.answer();
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual({ error: 'request_timeout', message: expect.any(String) });
    expect(answer.closedAfterMs).toBeLessThan(5_000);
  });

  it('closes a connection that never sends a request', async () => {
    const connection = open();
    const answer = await connection.answer();
    expect(answer.closedAfterMs).toBeLessThan(5_000);
  });

  it('keeps an idle keep-alive connection between requests past the headers timeout', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = () =>
        new Promise<{ status: number; port: number }>((resolve, reject) => {
          const req = httpRequest(new URL('/health/live', env.url), { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, port: req.socket!.localPort! }));
          });
          req.on('error', reject);
          req.end();
        });
      const first = await get();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const second = await get();
      expect([first.status, second.status]).toEqual([200, 200]);
      // the same connection
      expect(second.port).toBe(first.port);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a JSON body without an API key with 401 before reading it', async () => {
    const rowsBefore = await rowCounts(env.db);
    const body = Buffer.from(JSON.stringify({ name: 'Anonymous', timezone: 'Europe/Madrid', country: 'ES' }));
    const answer = await rawRequest(env.url, {
      path: '/v1/admin/organizations',
      headers: { 'content-type': 'application/json', 'content-length': body.length + 1024 * 1024 - 100 },
      body: body.subarray(0, 10),
      held: Buffer.concat([body.subarray(10), Buffer.alloc(1024 * 1024 - 100, ' ')]),
      holdMs: 5_000,
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
    expect(answer.answeredWhileHeld).toBe(true);
    expect(answer.headers.connection).toBe('close');
    expect(await rowCounts(env.db)).toEqual(rowsBefore);
  });

  it('refuses an upload with an unknown API key with 401 before making a spool folder', async () => {
    spool.reset();
    const multipart = new MultipartBody()
      .fields(submissionFields)
      .file('sample', 'dropper.exe', randomBytes(64 * 1024), true);
    const rest = multipart.closing(randomBytes(4 * 1024 * 1024));
    const answer = await rawRequest(env.url, {
      path: '/v1/submissions',
      headers: {
        authorization: 'Bearer sdk_cus_not-a-key-of-this-installation',
        'content-type': multipart.contentType(),
        'content-length': multipart.bytes.length + rest.length,
      },
      body: multipart.bytes,
      held: rest,
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('unauthorized');
    expect(answer.answeredWhileHeld).toBe(true);
    expect(await spool.made()).toEqual([]);
  });

  it('still serves requests at a normal pace', async () => {
    const res = await admin.get('/v1/databases/current');
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(100);
  });
});
