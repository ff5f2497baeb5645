import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AllowedAddress } from './webhook-address-policy';
import { signWebhook } from './webhook-signature';

export const WEBHOOK_USER_AGENT = 'sigdesk-webhooks/1';
/** Response headers past this are an error; the body is never read. */
const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;
const MAX_DETAIL_LENGTH = 500;

export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  eventType: string;
  body: string;
  now: Date;
}

export interface WebhookLimits {
  /** To a connected socket, TLS handshake included. */
  connectTimeoutMs: number;
  /** The epoch milliseconds by which the response's headers must have arrived. */
  deadline: number;
}

/**
 * What came of one POST: a 2xx, another status, or no HTTP answer at all. `detail` says exactly what happened, for
 * operators' logs; customers are shown the kind of result only.
 */
export interface WebhookResponse {
  result: 'delivered' | 'receiver_error' | 'unreachable';
  statusCode: number | null;
  detail: string;
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
 * A `lookup` for the socket that answers with the addresses already checked, whatever DNS says by now. It answers
 * on the next turn, as DNS does: answered at once, a connection that fails at once (ENETUNREACH on a machine without
 * a route) escaped the request's error handler as an uncaught exception.
 */
function pinnedLookup(addresses: AllowedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    process.nextTick(() => {
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * POSTs one delivery to `addresses` (checked by {@link WebhookDestinations}), with the URL's host in the Host header
 * and as the TLS server name, so that certificates are verified against the name. One connection per delivery, closed
 * after the response's headers: the body is not read. Redirects are not followed (a receiver that moved must be
 * registered again: following one would send signed case facts wherever the receiver points), so a 3xx is a failure
 * like any non-2xx.
 */
export function postWebhook(
  request: WebhookRequest,
  addresses: AllowedAddress[],
  limits: WebhookLimits,
): Promise<WebhookResponse> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const body = Buffer.from(request.body, 'utf8');
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { ...webhookHeaders(request), 'content-length': String(body.length) },
      agent: false,
      lookup: pinnedLookup(addresses),
      maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
    });
    let settled = false;
    const finish = (response: WebhookResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      req.destroy();
      resolve(response);
    };
    const unreachable = (detail: string): WebhookResponse => ({
      result: 'unreachable',
      statusCode: null,
      detail: truncate(detail),
    });
    const remaining = Math.max(limits.deadline - Date.now(), 0);
    const connectTimer = setTimeout(
      () => finish(unreachable(`no connection within ${limits.connectTimeoutMs} ms`)),
      Math.min(limits.connectTimeoutMs, remaining),
    );
    const totalTimer = setTimeout(() => finish(unreachable('no response before the deadline')), remaining);

    req.on('socket', (socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.on('response', (response: IncomingMessage) => {
      response.on('error', () => undefined);
      response.destroy();
      finish(outcomeOf(response));
    });
    // kept for the request's whole life: destroying it after the answer may still report an error
    req.on('error', (error) => finish(unreachable(describeNetworkError(error))));
    req.end(body);
  });
}

function outcomeOf(response: IncomingMessage): WebhookResponse {
  const status = response.statusCode ?? 0;
  const reason = `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
  if (status >= 200 && status < 300) return { result: 'delivered', statusCode: status, detail: truncate(reason) };
  return {
    result: 'receiver_error',
    statusCode: status,
    detail: truncate(status >= 300 && status < 400 ? `${reason} (redirects are not followed)` : reason),
  };
}

function describeNetworkError(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  return typeof failure.code === 'string' ? `${failure.code}: ${message}` : message;
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH - 1)}…` : text;
}
