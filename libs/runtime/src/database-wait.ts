import { setTimeout as sleep } from 'node:timers/promises';
import { unavailableDependency } from '@sigdesk/http';

export interface DatabaseWaitOptions {
  /** What is waited for, as the log line names it (never with credentials): `PostgreSQL at db:5432/sigdesk`. */
  what: string;
  log: (message: string) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** How the waits between attempts are spent (tests pass their own). */
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Runs `work` until it gets through. While PostgreSQL is unavailable (refused, unreachable, starting up, shutting
 * down, full) it says what it waits for and tries again after a wait that doubles up to `maxDelayMs`: a process
 * started before its database, or during a failover, comes up when the database does instead of exiting. Any other
 * error (a wrong password, a failed migration) fails at once.
 */
export async function retryWhileDatabaseUnavailable<T>(
  work: () => Promise<T>,
  options: DatabaseWaitOptions,
): Promise<T> {
  const wait = options.wait ?? sleep;
  const maxDelay = options.maxDelayMs ?? 5_000;
  let delay = options.firstDelayMs ?? 500;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (unavailableDependency(error) !== 'database') throw error;
      options.log(
        `waiting for ${options.what}: ${(error as Error).message || (error as { code?: string }).code}; ` +
          `trying again in ${delay / 1000} s`,
      );
      await wait(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
