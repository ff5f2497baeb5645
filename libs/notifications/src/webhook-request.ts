import { signWebhook } from './webhook-signature';

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const WEBHOOK_USER_AGENT = 'sigdesk-webhooks/1';
const MAX_ERROR_LENGTH = 500;

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  eventType: string;
  body: string;
  now: Date;
}

/** What came of one POST: a 2xx, another status, or no answer at all. */
export interface WebhookResponse {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** The headers of a delivery; the signature covers the timestamp and the body exactly as sent. */
export function webhookHeaders(request: WebhookRequest): Record<string, string> {
  const timestamp = Math.floor(request.now.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'sigdesk-delivery': request.deliveryId,
    'sigdesk-event': request.eventType,
    'sigdesk-timestamp': String(timestamp),
    'sigdesk-signature': signWebhook(request.secret, timestamp, request.body),
  };
}

/**
 * POSTs one delivery. Redirects are not followed (a receiver that moved must be registered again: following a
 * redirect would send signed case facts wherever the receiver points), so a 3xx is a failure like any non-2xx.
 */
export async function postWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: webhookHeaders(request),
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, statusCode: null, error: describeNetworkError(error) };
  }
  // the receiver's answer is not used: release the connection without reading it
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, error: null };
  const reason = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return {
    ok: false,
    statusCode: status,
    error: truncate(status >= 300 && status < 400 ? `${reason} (redirects are not followed)` : reason),
  };
}

function describeNetworkError(error: unknown): string {
  // duck-typed: fetch's errors may come from another realm (a test runner's sandbox), where instanceof fails
  const failure = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') {
    return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  }
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  // fetch reports "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a TLS error…)
  const cause = failure.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return truncate(detail ? `${message}: ${detail}` : message);
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
