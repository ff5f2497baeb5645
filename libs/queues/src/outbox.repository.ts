import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { DB } from '@sigdesk/db';
import { JobName, JobOf, jobIdFor, QUEUE_OF_JOB } from './jobs';

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
 * then relayed to the queues: a crash between the two loses nothing, and nothing is sent for a rolled-back change.
 */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** `runAt`: relayed as a delayed job that runs then (timers); `options`: BullMQ's (deduplication, priority). */
  /** The job of an entity (a change to validate, an import to analyse), once: its id is `jobIdFor(name, entityId)`. */
  addFor<N extends JobName>(trx: Transaction<DB>, name: N, entityId: string, payload: JobOf<N>): Promise<void> {
    return this.add(trx, name, payload, jobIdFor(name, entityId));
  }

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

  /**
   * Claims up to `limit` pending rows, oldest first, for `claimMs`: one statement, committed at once, so that the
   * caller adds them to their queues with no transaction open. Rows claimed by a live relay are skipped; a claim
   * that ran out (its relay died or gave up) is taken over.
   */
  async claimBatch(limit: number, claimMs: number): Promise<PendingJob[]> {
    const { rows } = await sql<PendingJob>`
      UPDATE outbox SET claimed_until = now() + ${`${claimMs} milliseconds`}::interval
      WHERE id IN (
        SELECT id FROM outbox
        WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, queue, job_name, job_id, payload, run_at, options`.execute(this.db);
    // ids are bigints, as strings: order by length first
    return rows.sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The rows are in their queues. */
  async markDispatched(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('outbox')
      .set({ dispatched_at: new Date(), claimed_until: null })
      .where('id', 'in', ids)
      .execute();
  }

  /** Gives claimed rows back at once, for the next relay (a failed relay need not wait for its claims to run out). */
  async releaseClaims(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('outbox')
      .set({ claimed_until: null })
      .where('id', 'in', ids)
      .where('dispatched_at', 'is', null)
      .execute();
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
