/**
 * The web app's only way to sigdesk: the HTTP API on the same origin, with the session cookie that the browser
 * sends by itself. Every state-changing request carries the session's CSRF token as `X-CSRF-Token` (read from
 * `GET /v1/sessions/current`); every error arrives as an {@link ApiError} in the API's shape `{ error, message }`.
 */

/** An answer of the API that is not a success, or no answer at all. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when no answer arrived. */
    readonly status: number,
    /** The API's stable error code (`not_found`, `rate_limited`, …), or `network_error` / `unexpected_response`. */
    readonly code: string,
    /** The API's sentence for a person (in English), kept for support and logs. */
    message: string,
    /** Whatever else the error body carries (`dependency`, `correlationId`, `current`, …). */
    readonly details: Record<string, unknown> = {},
    /** Seconds the API asked to wait (`Retry-After`), for 429 and 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  /** A JSON body. */
  json?: unknown;
  /** Any other body (a multipart form). */
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Sign-in is the one state-changing request made before a session, hence before a CSRF token, exists. */
  withoutCsrf?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_HEADER = 'X-CSRF-Token';

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: RequestOptions): Promise<T>;
  post<T>(path: string, json?: unknown, options?: RequestOptions): Promise<T>;
  delete<T>(path: string, options?: RequestOptions): Promise<T>;
  /** The CSRF token of the current session, once known (`GET /v1/sessions/current` tells it). */
  setCsrfToken(token: string | undefined): void;
  /** The CSRF token for a state-changing request sent another way (an upload with progress); none without a session. */
  csrfToken(signal?: AbortSignal): Promise<string | undefined>;
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = response.headers.get('content-type')?.includes('application/json') ? await response.json() : undefined;
  } catch {
    body = undefined;
  }
  return errorFromBody(response.status, response.statusText, response.headers, body);
}

/** The {@link ApiError} of an answer whose body is read already (a fetch's, or an XMLHttpRequest's). */
export function errorFromBody(status: number, statusText: string, headers: Headers, body: unknown): ApiError {
  const wait = retryAfter(headers);
  if (body && typeof body === 'object' && 'error' in body && 'message' in body) {
    const { error, message, ...details } = body as Record<string, unknown>;
    if (typeof error === 'string' && typeof message === 'string') {
      return new ApiError(status, error, message, details, wait);
    }
  }
  // a proxy's page, an empty body: not the API speaking
  return new ApiError(status, 'unexpected_response', `The server answered ${status} ${statusText}`.trim(), {}, wait);
}

/**
 * A client of the API at `baseUrl` (empty in the browser: the same origin). The CSRF token is fetched from
 * `GET /v1/sessions/current` when a state-changing request needs it and none is known yet.
 */
export function createApiClient(options: { baseUrl?: string; fetch?: typeof fetch } = {}): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let csrfToken: string | undefined;

  async function raw(method: string, path: string, request: RequestOptions, headers: Record<string, string>) {
    try {
      return await send(`${baseUrl}${path}`, {
        method,
        headers,
        body: request.json !== undefined ? JSON.stringify(request.json) : request.body,
        credentials: 'same-origin',
        signal: request.signal,
      });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw new ApiError(0, 'network_error', error instanceof Error ? error.message : String(error));
    }
  }

  async function currentCsrfToken(signal?: AbortSignal): Promise<string | undefined> {
    if (csrfToken) return csrfToken;
    const response = await raw('GET', '/v1/sessions/current', { signal }, { accept: 'application/json' });
    if (!response.ok) return undefined; // no session: the request goes without, and the API answers 401
    const session = (await response.json()) as { csrfToken?: unknown };
    if (typeof session.csrfToken === 'string') csrfToken = session.csrfToken;
    return csrfToken;
  }

  async function request<T>(method: string, path: string, request: RequestOptions = {}): Promise<T> {
    const verb = method.toUpperCase();
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.json !== undefined) headers['content-type'] = 'application/json';
    if (!SAFE_METHODS.has(verb) && !request.withoutCsrf) {
      const token = await currentCsrfToken(request.signal);
      if (token) headers[CSRF_HEADER] = token;
    }
    const response = await raw(verb, path, request, headers);
    if (!response.ok) throw await toApiError(response);
    if (response.status === 204 || response.headers.get('content-length') === '0') return undefined as T;
    if (!response.headers.get('content-type')?.includes('application/json')) {
      throw new ApiError(response.status, 'unexpected_response', 'The server did not answer with JSON');
    }
    return (await response.json()) as T;
  }

  return {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, json, options) => request('POST', path, { ...options, json: json ?? {} }),
    delete: (path, options) => request('DELETE', path, options),
    setCsrfToken: (token) => {
      csrfToken = token;
    },
    csrfToken: currentCsrfToken,
  };
}

/** The browser's client: same origin. */
export const api = createApiClient();
