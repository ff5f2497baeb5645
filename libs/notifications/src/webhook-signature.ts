import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a signed request may be before a receiver should refuse it as a replay. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

const SCHEME = 'sha256=';

/**
 * The `sigdesk-signature` header of a delivery: HMAC-SHA256 of `<timestamp>.<raw body>` with the webhook's
 * secret, as `sha256=<hex>`. The timestamp (unix seconds, the `sigdesk-timestamp` header) is signed with the
 * body so that a captured request cannot be replayed later with a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: number | string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`, 'utf8');
  hmac.update(body);
  return `${SCHEME}${hmac.digest('hex')}`;
}

/**
 * For receivers: whether a request was sent by sigdesk with this secret, recently. Pass the headers as received
 * and the body exactly as received (the raw bytes, not a re-serialised JSON object). Compares in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined,
  body: string | Buffer,
  signature: string | undefined,
  options: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  if (timestamp === undefined || signature === undefined) return false;
  const seconds = typeof timestamp === 'number' ? timestamp : /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(seconds)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - seconds) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, seconds, body), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
