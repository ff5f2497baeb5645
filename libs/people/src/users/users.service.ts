import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { Principal } from '@sigdesk/accounts';
import type { DB } from '@sigdesk/db';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { SessionsRepository } from '../repositories/sessions.repository';
import { UsersRepository } from '../repositories/users.repository';
import { userListView } from '../user.view';

@Injectable()
export class UsersService {
  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
  ) {}

  /** Every account (admins), or the accounts of the caller's organisation (its admins). */
  async list(principal: Principal, query: { cursor?: string; limit: number }) {
    const organizationId = this.scopeOf(principal);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.users.list({ organizationId, after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(userListView),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    };
  }

  /** Disables an account and ends its sessions; another organisation's account is a 404, as one that does not exist. */
  async disable(principal: Principal, id: string): Promise<void> {
    const organizationId = this.scopeOf(principal);
    if (id === principal.userId) {
      throw AppError.conflict('cannot_disable_self', 'You cannot disable your own account.');
    }
    const user = await this.users.findById(id);
    if (!user || (organizationId && user.organization_id !== organizationId)) throw AppError.notFound('This user');
    await this.db.transaction().execute(async (trx) => {
      await this.users.disable(trx, id, organizationId);
      await this.sessions.endAllOf(id, trx);
    });
  }

  /** undefined: every account (admins); else the organisation whose accounts the caller manages. */
  private scopeOf(principal: Principal): string | undefined {
    if (principal.role === 'admin') return undefined;
    if (principal.role === 'customer' && principal.session?.organizationAdmin && principal.organizationId) {
      return principal.organizationId;
    }
    throw AppError.forbidden("Only admins and an organization's admins manage its users.");
  }
}
