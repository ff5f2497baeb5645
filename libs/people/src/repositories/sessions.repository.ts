import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { DB, Session, User } from '@sigdesk/db';

export type SessionWithUser = Session & {
  user: Pick<
    User,
    'email' | 'display_name' | 'role' | 'organization_id' | 'organization_admin' | 'totp_secret' | 'disabled_at'
  >;
};

@Injectable()
export class SessionsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async create(input: {
    tokenHash: string;
    userId: string;
    csrfToken: string;
    totpEnrolmentOnly: boolean;
    idleExpiresAt: Date;
    absoluteExpiresAt: Date;
    address: string | null;
    userAgent: string | null;
  }): Promise<Session> {
    // the person's sessions that are over go: the table holds what may still be used, and a little more
    await this.db
      .deleteFrom('sessions')
      .where('user_id', '=', input.userId)
      .where((eb) =>
        eb.or([
          eb('ended_at', 'is not', null),
          eb('idle_expires_at', '<', new Date()),
          eb('absolute_expires_at', '<', new Date()),
        ]),
      )
      .execute();
    return this.db
      .insertInto('sessions')
      .values({
        token_hash: input.tokenHash,
        user_id: input.userId,
        csrf_token: input.csrfToken,
        totp_enrolment_only: input.totpEnrolmentOnly,
        idle_expires_at: input.idleExpiresAt,
        absolute_expires_at: input.absoluteExpiresAt,
        address: input.address,
        user_agent: input.userAgent,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** A session that has not ended nor expired, of an account that is not disabled, with what the guard needs of it. */
  async findLive(tokenHash: string, now: Date): Promise<SessionWithUser | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('sessions')
      .select([
        'users.email',
        'users.display_name',
        'users.role',
        'users.organization_id',
        'users.organization_admin',
        'users.totp_secret',
        'users.disabled_at',
      ])
      .where('sessions.token_hash', '=', tokenHash)
      .where('sessions.ended_at', 'is', null)
      .where('sessions.idle_expires_at', '>', now)
      .where('sessions.absolute_expires_at', '>', now)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const { email, display_name, role, organization_id, organization_admin, totp_secret, disabled_at, ...session } =
      row;
    return {
      ...session,
      user: { email, display_name, role, organization_id, organization_admin, totp_secret, disabled_at },
    };
  }

  /** Moves the idle deadline; the caller does it at most once a minute per session, not on every request. */
  async touch(id: string, now: Date, idleExpiresAt: Date): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now, idle_expires_at: idleExpiresAt })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  async end(id: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ ended_at: new Date() })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  /** Ends every session of a person (sign-out everywhere, a password reset, a disabled account). */
  async endAllOf(userId: string, trx: Transaction<DB> | Kysely<DB> = this.db): Promise<void> {
    await trx
      .updateTable('sessions')
      .set({ ended_at: new Date() })
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .execute();
  }

  /** Once a staff member enrolled a second factor, their enrolment-only session becomes a full one. */
  async endEnrolment(id: string): Promise<void> {
    await this.db.updateTable('sessions').set({ totp_enrolment_only: false }).where('id', '=', id).execute();
  }
}
