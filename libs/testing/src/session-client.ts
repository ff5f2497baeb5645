import type { ApiResponse } from './api-client';

/**
 * A person's browser, as far as the API sees it: the session cookie it was given, sent back with every request, and
 * the CSRF token sent with state-changing ones (unless told not to).
 */
export class SessionClient {
  cookie: string | undefined;
  csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; form?: FormData; headers?: Record<string, string>; withoutCsrf?: boolean } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = `sigdesk_session=${this.cookie}`;
    if (this.csrfToken && !options.withoutCsrf && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    for (const setCookie of response.headers.getSetCookie()) {
      const match = /^sigdesk_session=([^;]*)/.exec(setCookie);
      if (match) this.cookie = match[1] || undefined;
    }
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('application/json') && text) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Signs in; keeps the cookie and the CSRF token of the new session. */
  async signIn(email: string, password: string, totpCode?: string) {
    const response = await this.request('POST', '/v1/sessions', {
      json: { email, password, ...(totpCode ? { totpCode } : {}) },
    });
    if (response.status === 201) this.csrfToken = response.body.csrfToken;
    return response;
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(
    path: string,
    json?: unknown,
    options: { withoutCsrf?: boolean; headers?: Record<string, string> } = {},
  ) {
    return this.request<T>('POST', path, { json: json ?? {}, ...options });
  }

  delete<T = any>(path: string, options: { withoutCsrf?: boolean } = {}) {
    return this.request<T>('DELETE', path, options);
  }
}
