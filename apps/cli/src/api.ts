import { CliError } from './io';

const TIMEOUT_MS = 30_000;

/** The API refused: its `{ error, message, ...details }`, printed as `error <code>: <message>`. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, 1, details);
  }
}

type Query = Record<string, string | number | undefined>;

/** JSON over HTTP with the release tooling's API key. Nothing else: no retries, no caching. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly signal?: AbortSignal,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('POST', path, query);
  }

  /** A JSON body. */
  postJson<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, {}, { body: JSON.stringify(body), type: 'application/json' });
  }

  /** A multipart body (a file streamed from disk, say): `timeoutMs` for the whole upload. */
  postForm<T>(path: string, form: FormData, timeoutMs: number): Promise<T> {
    return this.request<T>('POST', path, {}, { body: form, timeoutMs });
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, `${value}`);
    return url;
  }

  private async request<T>(
    method: string,
    path: string,
    query: Query,
    send: { body: string | FormData; type?: string; timeoutMs?: number } | undefined = undefined,
  ): Promise<T> {
    const url = this.url(path, query);
    const timeout = AbortSignal.timeout(send?.timeoutMs ?? TIMEOUT_MS);
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.key}`,
          ...(send?.type ? { 'content-type': send.type } : {}),
        },
        ...(send ? { body: send.body } : {}),
        signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw transportError(error, url, this.signal);
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (status >= 400) throw toApiError(status, body, text);
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new CliError('bad_response', `${method} ${url.pathname} answered ${status} without a JSON object.`);
    }
    return body as T;
  }
}

function toApiError(status: number, body: unknown, text: string): ApiError {
  if (body && typeof body === 'object' && 'error' in body && 'message' in body) {
    const { error, message, ...details } = body as { error: unknown; message: unknown };
    return new ApiError(
      status,
      String(error),
      String(message),
      Object.keys(details).length ? (details as Record<string, unknown>) : undefined,
    );
  }
  // not the API's own error shape: a proxy, a load balancer, a wrong URL
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(status, `http_${status}`, snippet || `the server answered ${status}.`);
}

/** fetch failed before an answer: the user stopped it, it timed out, or the server is unreachable. */
export function transportError(error: unknown, url: URL, signal?: AbortSignal): CliError {
  if (signal?.aborted) return new CliError('interrupted', 'Stopped before the server answered.');
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') {
    return new CliError('timeout', `${url.origin} did not answer within ${TIMEOUT_MS / 1000} s.`);
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new CliError('unreachable', `Cannot reach ${url.origin}: ${reason}.`);
}
