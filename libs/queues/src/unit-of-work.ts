import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { DB } from '@sigdesk/db';
import { JobQueueService } from './job-queue.service';

/**
 * A transaction and what follows its commit, together: the callback writes its changes and their jobs (to the
 * outbox) in one transaction; once it has committed, the outbox is relayed. A rolled-back transaction sends nothing,
 * and a relay that fails is left to the periodic one.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    private readonly jobs: JobQueueService,
  ) {}

  async run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(work);
    this.jobs.relaySoon();
    return result;
  }
}
