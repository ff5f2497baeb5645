import type { BrowserContext, Request } from 'playwright-core';

export const USER = {
  id: '0b6f3c1e-4b7a-4d1e-9a57-2f1d8f3b6c11',
  email: 'ana.garcia@acme.example',
  displayName: 'Ana García',
  role: 'customer',
  organizationId: 'c2f0a7d4-5e0b-4b8e-a1f6-7d3c9e2b1a00',
};
export const CSRF_TOKEN = 'csrf-3f9a1c7e5b2d4a6f';

export interface SessionsStandIn {
  signedIn: boolean;
  /** What POST /v1/sessions answers, in turn; the last answer repeats. */
  signInAnswers: Array<{ status: number; body: unknown; headers?: Record<string, string> }>;
  requests: Request[];
}

/**
 * A stand-in for the people/sessions API (POST /v1/sessions, GET and DELETE /v1/sessions/current), which sigdesk
 * does not have yet, answering in the contract the web app is built for. Everything else reaches the real sigdesk.
 * To be replaced by real accounts once that API exists.
 */
export async function standInForSessions(context: BrowserContext, signedIn: boolean): Promise<SessionsStandIn> {
  const state: SessionsStandIn = { signedIn, signInAnswers: [], requests: [] };
  await context.route(
    (url) => url.pathname === '/v1/sessions' || url.pathname === '/v1/sessions/current',
    async (route) => {
      const request = route.request();
      state.requests.push(request);
      const path = new URL(request.url()).pathname;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        route.fulfill({ status, contentType: 'application/json', headers, body: JSON.stringify(body) });
      if (path === '/v1/sessions/current' && request.method() === 'GET') {
        return state.signedIn
          ? json(200, { user: USER, csrfToken: CSRF_TOKEN })
          : json(401, { error: 'unauthorized', message: 'Sign in first.' });
      }
      if (path === '/v1/sessions/current' && request.method() === 'DELETE') {
        if (request.headers()['x-csrf-token'] !== CSRF_TOKEN) {
          return json(403, { error: 'csrf_invalid', message: 'The CSRF token is missing or wrong.' });
        }
        state.signedIn = false;
        return route.fulfill({ status: 204 });
      }
      if (path === '/v1/sessions' && request.method() === 'POST') {
        const answer = state.signInAnswers.length > 1 ? state.signInAnswers.shift()! : state.signInAnswers[0];
        if (answer.status === 201) state.signedIn = true;
        return json(answer.status, answer.body, answer.headers);
      }
      return json(405, { error: 'method_not_allowed', message: 'No.' });
    },
  );
  return state;
}
