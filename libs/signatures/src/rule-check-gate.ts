import { HttpStatus } from '@nestjs/common';
import { AppError } from '@sigdesk/http';

/**
 * How many rule checks one process runs at once (each starts an engine process of its own), and how many may wait.
 * An editor checks as its analyst types, debounced: a handful of analysts never wait long; past the queue, a check
 * answers 503 `checks_busy` with Retry-After, and the editor tries again on the next keystroke.
 */
export class RuleCheckGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency = 2,
    private readonly maxWaiting = 16,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'checks_busy',
          'Too many rule checks are running; try again in a moment.',
          { retryAfterSeconds: 1 },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // the slot passes straight to the next in line
      if (next) next();
      else this.running -= 1;
    }
  }
}
