/**
 * Failed sign-ins allowed within a sliding window: per account (the email typed, whether or not it has an account,
 * so that the limit tells nothing either), and per address (one client trying many accounts).
 */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const ACCOUNT_FAILURES_ALLOWED = 10;
export const ADDRESS_FAILURES_ALLOWED = 50;

/**
 * Seconds until a subject with `count` failures in the window, the oldest at `oldest`, may try again; 0 when it may
 * now. (The window slides: once the oldest failure leaves it, one more attempt is allowed.)
 */
export function signInRetryAfterSeconds(
  failures: { count: number; oldest: Date | null },
  allowed: number,
  now: Date,
): number {
  if (failures.count < allowed || !failures.oldest) return 0;
  return Math.max(1, Math.ceil((failures.oldest.getTime() + SIGN_IN_WINDOW_MS - now.getTime()) / 1000));
}
