import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { answerAndClose } from './http-server-options';

/** Uploads: multipart bodies (samples, corpus files), which may be large and arrive on slow lines. */
function isUpload(request: FastifyRequest): boolean {
  return /^multipart\//i.test(request.headers['content-type'] ?? '');
}

/**
 * Watches each request until its body has arrived, so that nobody holds a connection (and, for an upload, a spool
 * folder and a file) by sending slowly:
 * - an upload must arrive at `SIGDESK_UPLOAD_MIN_RATE_KIB` or faster, averaged over each window of
 *   `SIGDESK_UPLOAD_MIN_RATE_WINDOW_SECONDS`, however long it takes in all (a large sample on a slow line is not
 *   cut); slower, it is answered `408 upload_too_slow` and cut: the handler's read fails, its spool folder is
 *   removed, and nothing is stored. A window in which sigdesk itself held the body back (checks before the files,
 *   a disk behind) does not count against the client;
 * - any other request must arrive whole within `SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS`, or it is answered
 *   `408 request_timeout` and cut.
 * The answer goes straight on the socket (the handler is still waiting for the body), which is then closed.
 */
export function watchRequestArrival(fastify: FastifyInstance, config: AppConfig): void {
  const logger = new Logger('RequestArrival');
  const { requestTimeoutMs, uploadMinRate } = config.http;

  fastify.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const socket = raw.socket;
    if (raw.complete) return done();
    const upload = isUpload(request);
    if (upload && uploadMinRate.bytesPerSecond <= 0) return done();

    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      clearInterval(timer);
    };
    const cut = (status: number, body: { error: string; message: string } & Record<string, unknown>) => {
      stop();
      if (raw.complete || socket.destroyed) return;
      logger.warn({ reqId: request.id, url: request.url, error: body.error }, 'request cut: its body came too slowly');
      // the handler's read of the body fails when the socket closes
      answerAndClose(socket, status, body);
    };

    if (!upload) {
      timer = setTimeout(
        () =>
          cut(408, {
            error: 'request_timeout',
            message: `The request did not arrive within ${requestTimeoutMs / 1000} s.`,
            timeoutSeconds: requestTimeoutMs / 1000,
          }),
        requestTimeoutMs,
      );
    } else {
      const { bytesPerSecond, windowMs } = uploadMinRate;
      let windowBytes = socket.bytesRead;
      // sigdesk holds the body back (nothing reads it yet, or the reader pauses it): the window does not count
      let heldBack = raw.readableFlowing !== true;
      const onPause = () => (heldBack = true);
      raw.on('pause', onPause);
      timer = setInterval(() => {
        if (raw.complete || raw.destroyed) return stop();
        const received = socket.bytesRead - windowBytes;
        windowBytes = socket.bytesRead;
        if (heldBack || raw.readableFlowing !== true) {
          heldBack = raw.readableFlowing !== true;
          return;
        }
        if (received < (bytesPerSecond * windowMs) / 1000) {
          cut(408, {
            error: 'upload_too_slow',
            message:
              `The upload arrived at ${formatRate(received / (windowMs / 1000))} over the last ${windowMs / 1000} s; ` +
              `uploads must arrive at ${formatRate(bytesPerSecond)} or faster.`,
            minRateKiB: bytesPerSecond / 1024,
            windowSeconds: windowMs / 1000,
          });
        }
      }, windowMs);
      raw.once('close', () => raw.off('pause', onPause));
    }
    timer.unref();
    raw.once('close', stop);
    reply.raw.once('close', stop);
    done();
  });
}

function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= 1024
    ? `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`
    : `${Math.floor(bytesPerSecond)} bytes/s`;
}
