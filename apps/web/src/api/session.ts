import { ApiError, api, type ApiClient } from './client';

export type Role = 'customer' | 'analyst' | 'release' | 'admin';

/** A person signed in, as `POST /v1/sessions` and `GET /v1/sessions/current` describe them. */
export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  /** The organisation of a customer; none for the vendor's staff. */
  organizationId: string | null;
}

export interface Session {
  user: SessionUser;
  /** Sent as `X-CSRF-Token` with every state-changing request of this session. */
  csrfToken: string;
}

export interface SignInRequest {
  email: string;
  password: string;
  /** The second factor, once the API asked for it. */
  totpCode?: string;
}

/** The API's answer to a right password of an account with a second factor, when the code is missing. */
export const TOTP_REQUIRED = 'totp_required';

export const sessionQueryKey = ['session'] as const;

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

export async function signIn(request: SignInRequest, client: ApiClient = api): Promise<SessionUser> {
  const { user } = await client.post<{ user: SessionUser }>('/v1/sessions', request, { withoutCsrf: true });
  return user;
}

export async function signOut(client: ApiClient = api): Promise<void> {
  try {
    await client.delete('/v1/sessions/current');
  } finally {
    client.setCsrfToken(undefined);
  }
}
