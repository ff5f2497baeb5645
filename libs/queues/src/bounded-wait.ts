/** The queues' store did not answer in time. On Redis, a command waits for the connection to come back. */
export class QueueTimeoutError extends Error {
  override readonly name = 'QueueTimeoutError';
}

/**
 * `work`, or a QueueTimeoutError once `ms` have passed. The work itself goes on (a BullMQ call cannot be
 * cancelled): whatever it does must be harmless when it completes late (a job added with its `jobId` exists once).
 */
export async function answerWithin<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueueTimeoutError(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
