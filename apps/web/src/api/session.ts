import type { CurrentSession, SessionUser } from '../../../../libs/people/src/session-user.schema';
import { ApiError, api, type ApiClient } from './client';

export type { SessionUser };
export type Role = SessionUser['role'];

/** The session as `POST /v1/sessions` and `GET /v1/sessions/current` describe it (the API's `currentSessionSchema`). */
export type Session = CurrentSession;

export interface SignInRequest {
  email: string;
  password: string;
  /** The second factor, once the API asked for it. */
  totpCode?: string;
}

/** The API's answer to a right password of an account with a second factor, when the code is missing. */
export const TOTP_REQUIRED = 'totp_required';

export const sessionQueryKey = ['session'] as const;

/** true once a session ended under the person (a 401 while signed in): the sign-in page says why. */
export const sessionEndedQueryKey = ['session-ended'] as const;

/** true once the person signed out on this page: the sign-in page then starts afresh, without a `next`. */
export const signedOutQueryKey = ['signed-out'] as const;

/** The current session, or null when nobody is signed in. */
export async function fetchSession(client: ApiClient = api): Promise<Session | null> {
  try {
    const session = await client.get<Session>('/v1/sessions/current');
    client.setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    // 404: a server without people's sessions (API keys only) has nobody signed in either
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      client.setCsrfToken(undefined);
      return null;
    }
    throw error;
  }
}

/** Signs in; the new session's CSRF token is used from here on. */
export async function signIn(request: SignInRequest, client: ApiClient = api): Promise<Session> {
  const session = await client.post<Session>('/v1/sessions', request, { withoutCsrf: true });
  client.setCsrfToken(session.csrfToken);
  return session;
}

/** Signs out of this session (`everywhere`: every session of the person). */
export async function signOut(client: ApiClient = api, everywhere = false): Promise<void> {
  try {
    await client.delete(everywhere ? '/v1/sessions' : '/v1/sessions/current');
  } finally {
    client.setCsrfToken(undefined);
  }
}
