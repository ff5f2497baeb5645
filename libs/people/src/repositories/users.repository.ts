import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import type { DB, Role, User } from '@sigdesk/db';

@Injectable()
export class UsersRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** `email` lower case, as stored. */
  findByEmail(email: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** The new account, or undefined when the email has one already. */
  async create(
    trx: Transaction<DB>,
    input: {
      email: string;
      displayName: string;
      role: Role;
      organizationId: string | null;
      organizationAdmin: boolean;
      passwordHash: string;
    },
  ): Promise<User | undefined> {
    return trx
      .insertInto('users')
      .values({
        email: input.email,
        display_name: input.displayName,
        role: input.role,
        organization_id: input.organizationId,
        organization_admin: input.organizationAdmin,
        password_hash: input.passwordHash,
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  async setPassword(trx: Transaction<DB>, id: string, passwordHash: string): Promise<void> {
    await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async setPendingTotp(id: string, secret: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ totp_pending_secret: secret, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  /** Turns the pending secret on, if it is still `secret` (a second enrolment meanwhile wins), from `step` on. */
  async enableTotp(id: string, secret: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ totp_secret: secret, totp_pending_secret: null, totp_last_step: step, updated_at: new Date() })
      .where('id', '=', id)
      .where('totp_pending_secret', '=', secret)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Records `step` as used, only if it is later than the last one used: of two requests with the same code, one
   * wins. False when the step was used already.
   */
  async useTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Disables an account (and, in the same transaction, the caller ends its sessions); false when already disabled. */
  async disable(trx: Transaction<DB>, id: string, organizationId?: string): Promise<boolean> {
    let query = trx
      .updateTable('users')
      .set({ disabled_at: new Date(), updated_at: new Date() })
      .where('id', '=', id)
      .where('disabled_at', 'is', null);
    if (organizationId) query = query.where('organization_id', '=', organizationId);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  list(query: { organizationId?: string; after?: { createdAt: string; id: string }; limit: number }) {
    // cursors hold milliseconds (JavaScript's dates), PostgreSQL microseconds: compare and order at the cursor's
    // precision, or a row would come again on the next page
    const createdAt = sql<Date>`date_trunc('milliseconds', created_at)`;
    let select = this.db.selectFrom('users').selectAll();
    if (query.organizationId) select = select.where('organization_id', '=', query.organizationId);
    if (query.after) {
      const after = query.after;
      select = select.where(sql<boolean>`(${createdAt}, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
    }
    return select.orderBy(createdAt).orderBy('id').limit(query.limit).execute();
  }
}
