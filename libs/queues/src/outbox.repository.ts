import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { DB } from '@sigdesk/db';
import { JobName, JobOf, QUEUE_OF_JOB } from './jobs';

/** The BullMQ options an outbox row may carry: plain JSON. */
export interface OutboxJobOptions {
  deduplication?: { id: string; ttl: number };
  priority?: number;
  delay?: number;
}

export interface PendingJob {
  id: string;
  queue: string;
  job_name: string;
  job_id: string;
  payload: Record<string, unknown>;
  run_at: Date | null;
  options: Record<string, unknown> | null;
}

/**
 * Jobs that must follow a commit are written here in the same transaction as the change that causes them,
 * then relayed to Redis: a crash between the two loses nothing, and nothing is sent for a rolled-back change.
 */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** `runAt`: relayed as a delayed job that runs then (timers); `options`: BullMQ's (deduplication, priority). */
  async add<N extends JobName>(
    trx: Transaction<DB>,
    name: N,
    payload: JobOf<N>,
    jobId: string,
    runAt?: Date,
    options?: OutboxJobOptions,
  ): Promise<void> {
    await trx
      .insertInto('outbox')
      .values({
        queue: QUEUE_OF_JOB[name],
        job_name: name,
        job_id: jobId,
        payload: JSON.stringify(payload),
        run_at: runAt ?? null,
        options: options ? JSON.stringify(options) : null,
      })
      .execute();
  }

  /** Hands pending rows to `relay` one batch at a time; rows locked by another relay are skipped. */
  async relayBatch(limit: number, relay: (jobs: PendingJob[]) => Promise<void>): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'queue', 'job_name', 'job_id', 'payload', 'run_at', 'options'])
        .where('dispatched_at', 'is', null)
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return 0;
      await relay(rows);
      await trx
        .updateTable('outbox')
        .set({ dispatched_at: new Date() })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.length;
    });
  }

  async pendingCount(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('dispatched_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
