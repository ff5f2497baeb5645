import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB } from '@sigdesk/db';

export type FailureScope = 'account' | 'address';

/** Failed sign-ins, counted per account and per address over a sliding window. */
@Injectable()
export class SignInFailuresRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** How many failures `subject` has had since `since`, and when the oldest of them was. */
  async recent(scope: FailureScope, subject: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const row = await this.db
      .selectFrom('sign_in_failures')
      .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.min('failed_at').as('oldest')])
      .where('scope', '=', scope)
      .where('subject', '=', subject)
      .where('failed_at', '>', since)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), oldest: row.oldest ? new Date(row.oldest as Date) : null };
  }

  /** Records a failure of each subject, and forgets theirs older than `forgetBefore` (they count for nothing). */
  async record(entries: Array<{ scope: FailureScope; subject: string }>, now: Date, forgetBefore: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const entry of entries) {
        await trx
          .deleteFrom('sign_in_failures')
          .where('scope', '=', entry.scope)
          .where('subject', '=', entry.subject)
          .where('failed_at', '<', forgetBefore)
          .execute();
      }
      await trx
        .insertInto('sign_in_failures')
        .values(entries.map((e) => ({ scope: e.scope, subject: e.subject, failed_at: now })))
        .execute();
    });
  }

  /** A successful sign-in clears its account's failures (not its address's: one address may try many accounts). */
  async clear(scope: FailureScope, subject: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('scope', '=', scope).where('subject', '=', subject).execute();
  }
}
