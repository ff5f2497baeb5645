import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { formatProcessIdentity, OrphanSampleSweeper, THIS_PROCESS } from '@sigdesk/intake';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import {
  protectedZip,
  seedCustomer,
  seedRelease,
  SeededCustomer,
  startTestEnvironment,
  SUBMISSION_FIELDS,
  TestEnvironment,
} from '@sigdesk/testing';

const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');
const MiB = 1024 * 1024;
const FIELDS = SUBMISSION_FIELDS;

/** A multipart body as clients send it: the fields, then the files, then the closing delimiter and a CRLF. */
function multipart(files: Array<{ name: string; content: Buffer }>, fields: Record<string, string> = FIELDS) {
  const boundary = `----staging-${randomBytes(8).toString('hex')}`;
  const pieces: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="sample"; filename="${file.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('staging objects of large samples', () => {
  let env: TestEnvironment;
  let customer: SeededCustomer;
  let store: ObjectStore;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
    await seedRelease(env, 100);
    customer = await seedCustomer(env, { tier: 'msa_start' });
    store = env.sigdesk.app.get(ObjectStore);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await env?.close();
  });

  /**
   * Sends `body`, with its length announced; when `cutAfter` is given, only that many bytes of it and then the
   * connection is dropped (resolves with status 0 then).
   */
  function send(
    body: Buffer,
    contentType: string,
    options: { cutAfter?: number; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: any }> {
    const url = new URL('/v1/submissions', env.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${customer.key}`,
            'content-type': contentType,
            'content-length': body.length,
            ...options.headers,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
        },
      );
      if (options.cutAfter === undefined) {
        req.on('error', reject);
        req.end(body);
        return;
      }
      req.on('error', () => resolve({ status: 0, body: null }));
      req.write(body.subarray(0, options.cutAfter), () => setTimeout(() => req.destroy(), 200));
    });
  }

  async function stagingLeft() {
    const rows = await env.db.selectFrom('staging_objects').select('key').execute();
    const objects: string[] = [];
    for await (const object of env.store.list(StorageKeys.stagingPrefix)) objects.push(object.key);
    return { rows: rows.length, objects: objects.length };
  }

  async function sampleObjects(sha256: string): Promise<number> {
    let n = 0;
    for await (const object of env.store.list(StorageKeys.samplesPrefix)) if (object.key.endsWith(sha256)) n++;
    return n;
  }

  it('stores a large sample from the copy made while it arrived, with its SHA-256 only, and removes the copy', async () => {
    const copy = jest.spyOn(store, 'copy');
    const content = randomBytes(6 * MiB + 12_345);
    const { body, contentType } = multipart([{ name: 'large.bin', content }]);

    const res = await send(body, contentType);

    expect(res.status).toBe(201);
    const sha256 = digest('sha256', content);
    expect(res.body.samples).toEqual([expect.objectContaining({ sha256, size: content.length })]);
    const row = await env.db.selectFrom('samples').selectAll().where('sha256', '=', sha256).executeTakeFirstOrThrow();
    // SHA-1 and MD5 are the intake job's (no worker here)
    expect({ sha1: row.sha1, md5: row.md5 }).toEqual({ sha1: null, md5: null });
    expect(copy).toHaveBeenCalledWith(expect.stringMatching(/^staging\//), StorageKeys.sample(sha256));
    expect(digest('sha256', await env.store.getBuffer(StorageKeys.sample(sha256)))).toBe(sha256);
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
  });

  it('stores a large sample sent twice as one object', async () => {
    const content = randomBytes(5 * MiB);
    const sha256 = digest('sha256', content);
    for (const name of ['first.bin', 'again.bin']) {
      const { body, contentType } = multipart([{ name, content }]);
      expect((await send(body, contentType)).status).toBe(201);
    }
    expect(await sampleObjects(sha256)).toBe(1);
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
  });

  it('hashes and stores every file of a request with several large ones, the first not being the last part', async () => {
    const files = [
      { name: 'one.bin', content: randomBytes(5 * MiB + 1) },
      { name: 'two.bin', content: randomBytes(4 * MiB + 7) },
      { name: 'three.bin', content: randomBytes(1000) },
    ];
    const { body, contentType } = multipart(files);

    const res = await send(body, contentType);

    expect(res.status).toBe(201);
    for (const file of files) {
      const sha256 = digest('sha256', file.content);
      const row = await env.db.selectFrom('samples').selectAll().where('sha256', '=', sha256).executeTakeFirstOrThrow();
      expect({ sha1: row.sha1, md5: row.md5, size: Number(row.size) }).toEqual({
        sha1: null,
        md5: null,
        size: file.content.length,
      });
      expect(digest('sha256', await env.store.getBuffer(StorageKeys.sample(sha256)))).toBe(sha256);
    }
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
  });

  it('takes the files of a large protected ZIP without storing the archive', async () => {
    const inside = randomBytes(5 * MiB);
    const zip = await protectedZip([{ name: 'dropper.exe', content: inside }]);
    const { body, contentType } = multipart([{ name: 'samples.zip', content: zip }]);

    const res = await send(body, contentType);

    expect(res.status).toBe(201);
    expect(res.body.samples).toEqual([expect.objectContaining({ sha256: digest('sha256', inside) })]);
    expect(await sampleObjects(digest('sha256', zip))).toBe(0);
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
  });

  it('removes the staging object of a request refused once its body is read', async () => {
    const key = `staging-refused-${randomBytes(4).toString('hex')}`;
    const first = multipart([{ name: 'small.bin', content: randomBytes(100) }]);
    expect((await send(first.body, first.contentType, { headers: { 'idempotency-key': key } })).status).toBe(201);
    const content = randomBytes(5 * MiB);
    const copy = jest.spyOn(store, 'putStream');
    const other = multipart([{ name: 'other.bin', content }]);

    const res = await send(other.body, other.contentType, { headers: { 'idempotency-key': key } });

    expect(res.status).toBe(409);
    expect(copy).toHaveBeenCalled(); // it was being copied while it arrived
    expect(await sampleObjects(digest('sha256', content))).toBe(0);
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
  });

  it('removes the staging object of an upload cut short', async () => {
    const content = randomBytes(8 * MiB);
    const putStream = jest.spyOn(store, 'putStream');
    const { body, contentType } = multipart([{ name: 'cut.bin', content }]);

    const res = await send(body, contentType, { cutAfter: 5 * MiB });

    expect(res.status).toBe(0);
    // the request ends on the server after the client has gone: wait until its staging upload has ended
    await putStream.mock.results[0]?.value?.catch(() => undefined);
    for (let i = 0; i < 200 && (await stagingLeft()).rows > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(putStream).toHaveBeenCalled();
    expect(await stagingLeft()).toEqual({ rows: 0, objects: 0 });
    expect(await sampleObjects(digest('sha256', content))).toBe(0);
  });

  it('sweeps the staging objects of a process that is gone', async () => {
    const key = StorageKeys.staging('left-by-a-crash');
    await env.store.put(key, randomBytes(100));
    // a process of this machine that no longer runs (a pid far beyond pid_max)
    const gone = formatProcessIdentity({ host: THIS_PROCESS.host, pid: 999_999_999, run: '00000000' });
    await env.db.insertInto('staging_objects').values({ key, holder: gone }).execute();
    const live = StorageKeys.staging('still-written');
    await env.store.put(live, randomBytes(100));
    await env.db
      .insertInto('staging_objects')
      .values({ key: live, holder: formatProcessIdentity(THIS_PROCESS) })
      .execute();

    const result = await env.sigdesk.app.get(OrphanSampleSweeper).sweep();

    expect(result.staging).toBe(1);
    expect(await env.store.head(key)).toBeNull();
    expect(await env.store.head(live)).not.toBeNull();
    expect(await env.db.selectFrom('staging_objects').select('key').execute()).toEqual([{ key: live }]);
    await env.store.delete(live);
    await env.db.deleteFrom('staging_objects').execute();
  });
});
