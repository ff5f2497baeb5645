import { ApiClient, startTestEnvironment, TestEnvironment } from '@sigdesk/testing';

/** Every answer carries the security headers; the OpenAPI page gets a CSP that lets its own assets load, no more. */
describe('security headers', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment({ worker: false });
  });
  afterAll(async () => {
    await env?.close();
  });

  const directives = (csp: string | null) =>
    Object.fromEntries(
      (csp ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name, values]),
    );

  function expectApiHeaders(headers: Headers) {
    expect(directives(headers.get('content-security-policy'))).toEqual({
      'default-src': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  }

  it('sends them with a JSON answer', async () => {
    const res = await fetch(`${env.url}/health/live`);
    expect(res.status).toBe(200);
    expectApiHeaders(res.headers);
  });

  it('sends them with an error, a refusal before any route and an unknown route', async () => {
    const unauthorized = await new ApiClient(env.url).get('/v1/submissions');
    expect(unauthorized.status).toBe(401);
    expectApiHeaders(unauthorized.headers);
    const tooLong = await new ApiClient(env.url).get(`/v1/submissions?q=${'a'.repeat(3000)}`);
    expect(tooLong.status).toBe(414);
    expectApiHeaders(tooLong.headers);
    const unknown = await new ApiClient(env.url).get('/v1/no/such/route');
    expect(unknown.status).toBe(404);
    expectApiHeaders(unknown.headers);
  });

  it("gives the web app's pages a policy of their own: their own scripts only, never inline", async () => {
    const page = await fetch(`${env.url}/cases`, { headers: { accept: 'text/html' } });
    expect(directives(page.headers.get('content-security-policy'))).toMatchObject({
      'default-src': ["'self'"],
      // WebAssembly may compile (hashing samples in the browser); JavaScript eval stays refused
      'script-src': ["'self'", "'wasm-unsafe-eval'"],
      'object-src': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves /docs with a CSP that admits its own scripts, styles and images only, and every asset it names', async () => {
    const page = await fetch(`${env.url}/docs`);
    expect(page.status).toBe(200);
    const csp = directives(page.headers.get('content-security-policy'));
    expect(csp).toMatchObject({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'frame-ancestors': ["'none'"],
    });
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    // scripts only by URL: an inline one would not run under script-src 'self'
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src=/);
      expect(body.trim()).toBe('');
    }
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map(([, url]) => url);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      const url = new URL(asset, page.url);
      // same origin: what CSP 'self' admits
      expect(url.origin).toBe(new URL(env.url).origin);
      const res = await fetch(url);
      await res.arrayBuffer();
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    }
    const init = await (await fetch(`${env.url}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('"openapi"');
  });

  it('sends no HSTS in development, where the API runs on plain http on a laptop', async () => {
    const development = await startTestEnvironment({ worker: false, env: { NODE_ENV: 'development' } });
    try {
      const res = await fetch(`${development.url}/health/live`);
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await development.close();
    }
  });
});
