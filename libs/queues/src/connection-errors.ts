import type { Logger } from '@nestjs/common';

const REPEAT_EVERY_MS = 60_000;

/**
 * Logs the errors a queue or worker emits (without a listener, BullMQ writes each one to stderr): while the queues'
 * store is down, every reconnection attempt of every connection fails, so the same error is logged once a minute
 * with how many times it happened, not every time.
 */
export function logQueueErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  logger: Logger,
  source: string,
): void {
  let last: { message: string; at: number; repeats: number } | undefined;
  emitter.on('error', (error: Error) => {
    const now = Date.now();
    if (last && last.message === error.message && now - last.at < REPEAT_EVERY_MS) {
      last.repeats++;
      return;
    }
    logger.warn({ source, err: error, repeatedSinceLastLog: last?.repeats ?? 0 }, `queue error: ${error.message}`);
    last = { message: error.message, at: now, repeats: 0 };
  });
}
