import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time tokens (invitations, password resets) and session cookies: 256 random bits, sent as base64url. Only
 * their SHA-256 is stored: with that much entropy there is nothing to brute-force, so a slow hash adds nothing.
 */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a value has the shape of a token: checked before any lookup, so junk never reaches the database. */
export function isTokenShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** Compares two secrets in a time that depends on their length only. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Paths that carry a one-time token: logs keep the route, never the token. */
const TOKEN_PATHS = /^(\/v1\/(?:invitations|password-resets)\/)[^/?#]+/;

export function redactTokenInPath(url: string): string {
  return url.replace(TOKEN_PATHS, '$1[redacted]');
}
