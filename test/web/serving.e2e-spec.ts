import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWebAppBuilt, startTestEnvironment, TestEnvironment } from '@sigdesk/testing';

/** A GET with its path sent as written: fetch() would resolve `..` and `%2e%2e` before sending. */
function rawGet(base: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PAGE = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the web app served by the API', () => {
  let env: TestEnvironment;
  let indexHtml: string;
  let entryScript: string;

  beforeAll(async () => {
    const built = await ensureWebAppBuilt();
    indexHtml = await readFile(join(built, 'index.html'), 'utf8');
    entryScript = /<script type="module" crossorigin src="([^"]+)"/.exec(indexHtml)![1];
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_WEB_DIR: built } });
  }, 300_000);
  afterAll(async () => {
    await env?.close();
  });

  it('answers a page request for / with index.html, revalidated on every visit', async () => {
    const response = await fetch(`${env.url}/`, { headers: PAGE });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(indexHtml);
  });

  it.each(['/sign-in', '/cases', '/cases/5f0c4b1e-6a38-4c55-9d8e-3f0e0d1a2b3c', '/settings?tab=keys', '/no/such/page'])(
    'answers the client-side route %s with index.html, for the router in the browser to show',
    async (path) => {
      const response = await fetch(`${env.url}${path}`, { headers: PAGE });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toBe(indexHtml);
    },
  );

  it('serves the hashed assets as immutable for a year', async () => {
    const response = await fetch(`${env.url}${entryScript}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await response.text()).length).toBeGreaterThan(1000);
  });

  it("answers a missing asset with the API's 404, never with index.html", async () => {
    for (const headers of [{}, PAGE]) {
      const response = await fetch(`${env.url}/assets/index-00000000.js`, { headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('serves nothing from outside the assets folder, however the path is spelled', async () => {
    for (const path of [
      '/assets/../index.html',
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/.inputs-sha256',
      '/assets/%2e%2e/.inputs-sha256',
      '/assets//etc/passwd',
    ]) {
      const response = await rawGet(env.url, path, { accept: 'application/json' });
      expect({ path, refused: [403, 404].includes(response.status) }).toEqual({ path, refused: true });
      expect(response.body).not.toContain('"name": "sigdesk"');
      expect(response.body).not.toMatch(/^[0-9a-f]{64}$/);
      expect(response.body).not.toContain('root:');
    }
  });

  it("answers unknown API paths with the API's JSON 404, whatever the client accepts", async () => {
    for (const headers of [{}, PAGE, { accept: 'application/json' }]) {
      const response = await fetch(`${env.url}/v1/no-such-thing`, { headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'not_found', message: 'Cannot GET /v1/no-such-thing' });
    }
    const health = await fetch(`${env.url}/health/nothing`, { headers: PAGE });
    expect(health.status).toBe(404);
    expect(await health.json()).toMatchObject({ error: 'not_found' });
  });

  it('gives a page only to a client that asks for HTML, and only to a GET', async () => {
    const json = await fetch(`${env.url}/cases`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: 'not_found' });

    const refused = await fetch(`${env.url}/cases`, { headers: { accept: 'text/html;q=0, application/json' } });
    expect(refused.status).toBe(404);

    const post = await fetch(`${env.url}/cases`, { method: 'POST', headers: PAGE });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ error: 'not_found' });

    const head = await fetch(`${env.url}/cases`, { method: 'HEAD', headers: PAGE });
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('no-cache');
  });

  it('leaves the API, its health and its documentation as they were', async () => {
    const live = await fetch(`${env.url}/health/live`, { headers: PAGE });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^application\/json/);

    const docs = await fetch(`${env.url}/docs/openapi.json`, { headers: PAGE });
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('sigdesk');

    const unauthorised = await fetch(`${env.url}/v1/submissions`, { headers: PAGE });
    expect(unauthorised.status).toBe(401);
  });
});

describe('the API without a built web app', () => {
  let env: TestEnvironment;
  let empty: string;

  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'sigdesk-no-web-'));
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_WEB_DIR: empty } });
  });
  afterAll(async () => {
    await env?.close();
    await rm(empty, { recursive: true, force: true });
  });

  it('starts, and answers a page request with a 404 page that says the web app is not built', async () => {
    for (const path of ['/', '/cases']) {
      const response = await fetch(`${env.url}${path}`, { headers: PAGE });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toContain('The web app is not built');
    }
  });

  it("answers assets and API paths with the API's 404, and serves the API", async () => {
    const asset = await fetch(`${env.url}/assets/index.js`);
    expect(asset.status).toBe(404);
    expect(await asset.json()).toMatchObject({ error: 'not_found' });

    const api = await fetch(`${env.url}/v1/nothing`, { headers: PAGE });
    expect(await api.json()).toMatchObject({ error: 'not_found' });

    expect((await fetch(`${env.url}/health/live`)).status).toBe(200);
  });
});
