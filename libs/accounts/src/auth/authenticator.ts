import type { Principal } from './principal';

/** What an authenticator reads of a request: its method, URL and headers (never the body). */
export interface AuthenticationRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Turns a request's credentials into a {@link Principal}. Each authenticator answers for one kind of credential:
 * `null` when the request carries none of its kind, the principal when the credential is valid; it throws the API's
 * error (401, 403) when a credential of its kind is there but refused.
 */
export interface Authenticator {
  authenticate(request: AuthenticationRequest): Promise<Principal | null>;
}

/** The authenticators the guard asks, in order (the API key first: a request with one is not cookie-authenticated). */
export const AUTHENTICATORS = Symbol('AUTHENTICATORS');

/** The `Authorization: Bearer` value, or null; undefined when the request has no Authorization header at all. */
export function bearerToken(headers: AuthenticationRequest['headers']): string | null | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : null;
}

/**
 * The request's caller: the principal of the first authenticator that names one, or null when the request carries
 * no credentials. The one way callers are resolved: before the body (the HTTP layer's request admission) and, for a
 * request that skipped that, by the guard.
 */
export async function authenticateRequest(
  authenticators: Authenticator[],
  request: AuthenticationRequest,
): Promise<Principal | null> {
  for (const authenticator of authenticators) {
    const principal = await authenticator.authenticate(request);
    if (principal) return principal;
  }
  return null;
}
