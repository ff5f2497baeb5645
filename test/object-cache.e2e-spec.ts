import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SignatureEngine } from '@sigdesk/signatures';
import { ObjectCache, ObjectStore } from '@sigdesk/storage';
import { startTestEnvironment, TestEnvironment } from '@sigdesk/testing';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the local object cache', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
  });
  afterAll(async () => {
    await env?.close();
  });

  async function storedObject(size = 1_000) {
    const content = randomBytes(size);
    const hash = sha256(content);
    const key = `test-objects/${hash}`;
    await env.store.put(key, content);
    return { content, sha256: hash, key };
  }

  it('hands scans the bytes of the object, not a file planted in the cache folder', async () => {
    const engine = env.sigdesk.app.get(SignatureEngine);
    const first = await storedObject();
    const folder = dirname(await engine.localCopy(first.key, first.sha256));
    const planted = await storedObject();
    await writeFile(join(folder, planted.sha256), 'a file that is not the sample');
    expect(await readFile(await engine.localCopy(planted.key, planted.sha256))).toEqual(planted.content);
  });

  it('makes its folder again when it is removed under the running process', async () => {
    const engine = env.sigdesk.app.get(SignatureEngine);
    const first = await storedObject();
    const folder = dirname(await engine.localCopy(first.key, first.sha256));
    await rm(folder, { recursive: true, force: true });
    const next = await storedObject();
    expect(await readFile(await engine.localCopy(next.key, next.sha256))).toEqual(next.content);
    expect(await readFile(await engine.localCopy(first.key, first.sha256))).toEqual(first.content);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });

  it('fetches the object again when its cached copy was altered', async () => {
    const engine = env.sigdesk.app.get(SignatureEngine);
    const object = await storedObject();
    const path = await engine.localCopy(object.key, object.sha256);
    await writeFile(path, 'altered after the download');
    expect(await readFile(await engine.localCopy(object.key, object.sha256))).toEqual(object.content);
  });
});

describe(ObjectCache.name, () => {
  let env: TestEnvironment;
  let sut: ObjectCache;

  beforeAll(async () => {
    // room for two objects of 1,000 bytes, not three
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_OBJECT_CACHE_MAX_BYTES: '2500' } });
    sut = env.sigdesk.app.get(ObjectCache);
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function storedObject(size = 1_000) {
    const content = randomBytes(size);
    const hash = sha256(content);
    const key = `test-objects/${hash}`;
    await env.store.put(key, content);
    return { content, sha256: hash, key };
  }

  it('keeps its copies in a folder of the data directory that only this user may enter', async () => {
    const object = await storedObject();
    const path = await sut.localCopy(object.key, object.sha256);
    expect(dirname(path)).toBe(join(env.config.dataDir, 'object-cache'));
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    expect(await readFile(path)).toEqual(object.content);
  });

  it('refuses an object whose bytes do not have the SHA-256 asked for, and caches nothing', async () => {
    const object = await storedObject();
    const wrong = sha256(randomBytes(10));
    await expect(sut.localCopy(object.key, wrong)).rejects.toThrow(/SHA-256/);
    expect(await readdir(sut.folder)).not.toContain(wrong);
    expect((await readdir(sut.folder)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('refuses a name that is not a SHA-256 before touching the file system', async () => {
    await expect(sut.localCopy('test-objects/x', '../../etc/passwd')).rejects.toThrow(/not a SHA-256/);
  });

  it('downloads an object once for requests that arrive together', async () => {
    const object = await storedObject();
    const getStream = jest.spyOn(env.sigdesk.app.get(ObjectStore), 'getStream');
    const paths = await Promise.all(Array.from({ length: 5 }, () => sut.localCopy(object.key, object.sha256)));
    expect(new Set(paths).size).toBe(1);
    expect(getStream).toHaveBeenCalledTimes(1);
    expect(await readFile(paths[0])).toEqual(object.content);
  });

  it('computes the other digests asked for in the read that downloads a copy, or that checks a cached one', async () => {
    const object = await storedObject();
    const expected = {
      sha1: createHash('sha1').update(object.content).digest('hex'),
      md5: createHash('md5').update(object.content).digest('hex'),
    };
    const getStream = jest.spyOn(env.sigdesk.app.get(ObjectStore), 'getStream');

    const downloaded = await sut.localCopyWithDigests(object.key, object.sha256, ['sha1', 'md5']);
    const cached = await sut.localCopyWithDigests(object.key, object.sha256, ['sha1', 'md5']);

    expect(downloaded.digests).toEqual(expected);
    expect(cached).toEqual(downloaded);
    expect(getStream).toHaveBeenCalledTimes(1);
    expect(await readFile(cached.path)).toEqual(object.content);
  });

  it('gives no digests of a copy whose bytes do not have the SHA-256 asked for', async () => {
    const object = await storedObject();
    await expect(sut.localCopyWithDigests(object.key, sha256(randomBytes(10)), ['md5'])).rejects.toThrow(/SHA-256/);
    await expect(sut.localCopyWithDigests(object.key, '../x', ['md5'])).rejects.toThrow(/not a SHA-256/);
  });

  it('evicts the least recently used copies beyond its size', async () => {
    const [a, b, c] = [await storedObject(), await storedObject(), await storedObject()];
    await sut.localCopy(a.key, a.sha256);
    await sut.localCopy(b.key, b.sha256);
    await sut.localCopy(a.key, a.sha256); // a is used again: b is now the least recently used
    await sut.localCopy(c.key, c.sha256);
    const held = await readdir(sut.folder);
    expect(held).toEqual(expect.arrayContaining([a.sha256, c.sha256]));
    expect(held).not.toContain(b.sha256);
    const getStream = jest.spyOn(env.sigdesk.app.get(ObjectStore), 'getStream');
    await sut.localCopy(c.key, c.sha256);
    expect(getStream).not.toHaveBeenCalled();
    expect(await readFile(await sut.localCopy(b.key, b.sha256))).toEqual(b.content);
    expect(getStream).toHaveBeenCalledTimes(1);
  });
});
