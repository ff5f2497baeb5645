import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createApiClient, CSRF_HEADER } from './client';
import { fetchSession, signIn } from './session';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on loopback that answers as the route table says and records what it was sent. */
async function startServer(routes: Record<string, (response: ServerResponse) => void>) {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      const route = routes[`${request.method} ${request.url}`];
      if (route) return route(response);
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'not_found', message: `Cannot ${request.method} ${request.url}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  };
}

const user = {
  id: 'u1',
  email: 'ana@acme.example',
  displayName: 'Ana García',
  role: 'customer',
  organizationId: 'o1',
};

describe('createApiClient', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  afterEach(async () => {
    await server?.close();
  });

  it('sends the CSRF token of the session with a state-changing request, and none with a read', async () => {
    server = await startServer({
      'GET /v1/sessions/current': json(200, { user, csrfToken: 'token-1' }),
      'POST /v1/submissions/s1/replies': json(201, { ok: true }),
      'GET /v1/submissions': json(200, { items: [] }),
    });
    const client = createApiClient({ baseUrl: server.url });

    await expect(client.post('/v1/submissions/s1/replies', { message: 'here' })).resolves.toEqual({ ok: true });
    await expect(client.get('/v1/submissions')).resolves.toEqual({ items: [] });

    const [current, reply, list] = server.seen;
    expect(current.url).toBe('/v1/sessions/current');
    expect(reply.headers[CSRF_HEADER.toLowerCase()]).toBe('token-1');
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ message: 'here' });
    expect(list.headers[CSRF_HEADER.toLowerCase()]).toBeUndefined();
  });

  it('asks for the token once per session, and again after the session changes', async () => {
    server = await startServer({
      'GET /v1/sessions/current': json(200, { user, csrfToken: 'token-2' }),
      'DELETE /v1/sessions/current': (response) => response.writeHead(204).end(),
      'POST /v1/x': json(200, {}),
    });
    const client = createApiClient({ baseUrl: server.url });
    await fetchSession(client);
    await client.post('/v1/x');
    await client.post('/v1/x');
    expect(server.seen.filter((request) => request.url === '/v1/sessions/current')).toHaveLength(1);
    expect(server.seen.at(-1)!.headers['x-csrf-token']).toBe('token-2');

    client.setCsrfToken(undefined);
    await client.post('/v1/x');
    expect(server.seen.filter((request) => request.method === 'GET')).toHaveLength(2);
  });

  it("signs in without a token, since no session exists yet, then uses the new session's token", async () => {
    server = await startServer({
      'POST /v1/sessions': json(201, { user, csrfToken: 'token-of-sign-in' }),
      'POST /v1/x': json(200, {}),
    });
    const client = createApiClient({ baseUrl: server.url });
    await expect(signIn({ email: user.email, password: 'secret' }, client)).resolves.toEqual({
      user,
      csrfToken: 'token-of-sign-in',
    });
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0].headers['x-csrf-token']).toBeUndefined();
    expect(JSON.parse(server.seen[0].body)).toEqual({ email: user.email, password: 'secret' });
    // no GET /v1/sessions/current to learn the token: the sign-in told it
    await client.post('/v1/x');
    expect(server.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v1/sessions',
      'POST /v1/x',
    ]);
    expect(server.seen[1].headers['x-csrf-token']).toBe('token-of-sign-in');
  });

  it("turns the API's error shape into an ApiError with its code, message, details and wait", async () => {
    server = await startServer({
      'POST /v1/sessions': json(
        429,
        { error: 'rate_limited', message: 'Too many sign-in attempts.', limit: 5 },
        { 'retry-after': '42' },
      ),
    });
    const client = createApiClient({ baseUrl: server.url });
    const error = await client.post('/v1/sessions', {}, { withoutCsrf: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 429,
      code: 'rate_limited',
      message: 'Too many sign-in attempts.',
      details: { limit: 5 },
      retryAfterSeconds: 42,
    });
  });

  it('reports an answer that is not the API speaking as unexpected_response', async () => {
    server = await startServer({
      'GET /v1/submissions': (response) => {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<html><body>Bad gateway</body></html>');
      },
    });
    const client = createApiClient({ baseUrl: server.url });
    await expect(client.get('/v1/submissions')).rejects.toMatchObject({ status: 502, code: 'unexpected_response' });
  });

  it('reports a server that cannot be reached as network_error', async () => {
    server = await startServer({});
    const url = server.url;
    await server.close();
    const client = createApiClient({ baseUrl: url });
    await expect(client.get('/v1/submissions')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('reads a signed-out visitor as no session, and a failing server as an error', async () => {
    server = await startServer({ 'GET /v1/sessions/current': json(401, { error: 'unauthorized', message: 'No.' }) });
    await expect(fetchSession(createApiClient({ baseUrl: server.url }))).resolves.toBeNull();
    await server.close();

    server = await startServer({
      'GET /v1/sessions/current': json(503, { error: 'unavailable', message: 'Down.', dependency: 'database' }),
    });
    await expect(fetchSession(createApiClient({ baseUrl: server.url }))).rejects.toMatchObject({
      status: 503,
      details: { dependency: 'database' },
    });
  });
});
