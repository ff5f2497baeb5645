import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { AppConfig } from '@sigdesk/config';

/**
 * The HTTP server of every process that serves the API (`apps/api`, the tests' applications): bounds from the
 * `limits` section (headers, URL parameters, JSON bodies) and the connection timeouts of the configuration.
 *
 * - headers must arrive within `SIGDESK_HTTP_HEADERS_TIMEOUT_SECONDS` (Node answers past it through clientError);
 * - Node's own request timeout is off: it counts until the whole body has arrived, which would cut a large upload
 *   on a slow line. Bodies are watched per request instead (request-arrival.ts): the request timeout for
 *   everything but uploads, a minimum rate for uploads;
 * - a connection silent in both directions for `SIGDESK_HTTP_IDLE_TIMEOUT_SECONDS` is closed; an idle keep-alive
 *   connection after `SIGDESK_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS`;
 * - the client's address is the socket's, unless it is a proxy that `SIGDESK_TRUST_PROXY` trusts.
 */
export function httpServerOptions(config: AppConfig): FastifyHttpOptions<Server> {
  const { http, limits } = config;
  return {
    bodyLimit: limits.json.bodyBytes,
    routerOptions: { maxParamLength: limits.http.pathParamChars },
    http: {
      // Node counts the request line and every header against this, and answers past it through clientError
      maxHeaderSize: limits.http.headerBytes,
      headersTimeout: http.headersTimeoutMs,
      // how often Node looks for requests past their headers' time (its default, 30 s, would blur the timeout)
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.round(http.headersTimeoutMs / 4))),
    },
    requestTimeout: 0,
    connectionTimeout: http.idleTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    trustProxy: http.trustProxy?.join(',') ?? false,
    clientErrorHandler: answerClientError,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
  };
}

/**
 * What Node refuses before fastify sees a request, in the API's error shape: headers past `maxHeaderSize` (431),
 * a request that is not HTTP (400), headers too slow to arrive (408). The connection is closed after the answer.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    answerAndClose(socket, 431, {
      error: 'headers_too_large',
      message: 'The request line and headers are too large.',
    });
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answerAndClose(socket, 408, {
      error: 'request_timeout',
      message: 'The request took too long to arrive.',
    });
  } else {
    answerAndClose(socket, 400, { error: 'malformed_request', message: 'The request is not valid HTTP.' });
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers straight on the socket, in the API's error shape, and closes it: for a request that fastify cannot
 * answer any more (it has not parsed it, or its handler is still reading a body that is not coming).
 */
export function answerAndClose(socket: Socket, status: number, body: { error: string; message: string }): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const json = JSON.stringify(body);
  // closed once written (a client that reads nothing is closed by the idle timeout)
  socket.write(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    () => socket.destroy(),
  );
}
