import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { DB, Invitation, Role } from '@sigdesk/db';

/** Invitations and password resets: one-time tokens, stored as their SHA-256. */
@Injectable()
export class OneTimeTokensRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async createInvitation(input: {
    tokenHash: string;
    email: string;
    displayName: string;
    role: Role;
    organizationId: string | null;
    organizationAdmin: boolean;
    invitedBy: string;
    expiresAt: Date;
  }): Promise<Invitation> {
    return this.db
      .insertInto('invitations')
      .values({
        token_hash: input.tokenHash,
        email: input.email,
        display_name: input.displayName,
        role: input.role,
        organization_id: input.organizationId,
        organization_admin: input.organizationAdmin,
        invited_by: input.invitedBy,
        expires_at: input.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** An invitation whatever its state (open, accepted, expired), with its organisation's name. */
  findInvitationWithOrganization(
    tokenHash: string,
  ): Promise<(Invitation & { organization_name: string | null }) | undefined> {
    return this.db
      .selectFrom('invitations')
      .leftJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .selectAll('invitations')
      .select('organizations.name as organization_name')
      .where('invitations.token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  findOpenInvitation(tokenHash: string, now: Date): Promise<Invitation | undefined> {
    return this.db
      .selectFrom('invitations')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /** The email of the account an open password reset is for, or undefined. */
  async findOpenReset(tokenHash: string, now: Date): Promise<{ email: string } | undefined> {
    return this.db
      .selectFrom('password_resets')
      .innerJoin('users', 'users.id', 'password_resets.user_id')
      .select('users.email')
      .where('password_resets.token_hash', '=', tokenHash)
      .where('password_resets.used_at', 'is', null)
      .where('password_resets.expires_at', '>', now)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
  }

  /** Takes an open invitation under its row lock: of two acceptances of one link, one wins. */
  lockOpenInvitation(trx: Transaction<DB>, tokenHash: string, now: Date): Promise<Invitation | undefined> {
    return trx
      .selectFrom('invitations')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .forUpdate()
      .executeTakeFirst();
  }

  async acceptInvitation(trx: Transaction<DB>, id: string, userId: string, now: Date): Promise<void> {
    await trx.updateTable('invitations').set({ accepted_at: now, user_id: userId }).where('id', '=', id).execute();
  }

  async createPasswordReset(
    trx: Transaction<DB>,
    input: { tokenHash: string; userId: string; expiresAt: Date },
  ): Promise<void> {
    await trx
      .insertInto('password_resets')
      .values({ token_hash: input.tokenHash, user_id: input.userId, expires_at: input.expiresAt })
      .execute();
  }

  /** Uses an open reset of an enabled account (marks it used): its user id, or undefined. */
  async usePasswordReset(trx: Transaction<DB>, tokenHash: string, now: Date): Promise<string | undefined> {
    const row = await trx
      .updateTable('password_resets')
      .set({ used_at: now })
      .from('users')
      .whereRef('users.id', '=', 'password_resets.user_id')
      .where('password_resets.token_hash', '=', tokenHash)
      .where('password_resets.used_at', 'is', null)
      .where('password_resets.expires_at', '>', now)
      .where('users.disabled_at', 'is', null)
      .returning('password_resets.user_id')
      .executeTakeFirst();
    return row?.user_id;
  }

  /** Whether the account was sent a reset since `since`: one mail a minute at most, however often someone asks. */
  async resetSentSince(userId: string, since: Date): Promise<boolean> {
    const row = await this.db
      .selectFrom('password_resets')
      .select('id')
      .where('user_id', '=', userId)
      .where('created_at', '>', since)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A new reset replaces the older ones of the account: only the latest link works. */
  async retireResetsOf(trx: Transaction<DB> | Kysely<DB>, userId: string, now: Date): Promise<void> {
    await trx
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .execute();
  }
}
