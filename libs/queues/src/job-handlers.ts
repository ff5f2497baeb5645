import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobName, JobOf, JobsOf, QueueName } from './jobs';

/** `token`: the worker's lock on the job, which moving the job from inside its handler needs. */
export type JobHandler<N extends JobName> = (payload: JobOf<N>, job: Job<JobOf<N>>, token?: string) => Promise<unknown>;
export type JobHandlers<Q extends QueueName> = { [N in JobsOf<Q>]: JobHandler<N> };

/** Every job name has exactly one handler: checked when the worker starts, not when a job first arrives. */
export function assertEveryJobHandled(handled: JobName[]): void {
  const missing = Object.values(JobName).filter((name) => !handled.includes(name));
  const twice = handled.filter((name, index) => handled.indexOf(name) !== index);
  if (missing.length || twice.length) {
    throw new Error(`Job handlers are wrong: missing [${missing.join(', ')}], duplicated [${twice.join(', ')}]`);
  }
}

type AnyJobHandler = (payload: never, job: never, token?: string) => Promise<unknown>;

export async function dispatchJob(
  handlers: Partial<Record<string, AnyJobHandler>>,
  job: Job,
  logger: Logger,
  token?: string,
) {
  const handler = handlers[job.name];
  if (!handler) throw new Error(`No handler for job ${job.name}`);
  const started = Date.now();
  const result = await handler(job.data as never, job as never, token);
  logger.log({ jobId: job.id, job: job.name, attempt: job.attemptsMade + 1, ms: Date.now() - started }, 'job done');
  return result;
}
