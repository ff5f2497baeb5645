import type { User } from '@sigdesk/db';
import type { ListedUser, SessionUser } from './session-user.schema';

export function sessionUserView(user: User): SessionUser {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    role: user.role,
    organizationId: user.organization_id,
    organizationAdmin: user.organization_admin,
    totpEnabled: user.totp_secret !== null,
  };
}

/** A user in the lists of admins and organisation admins. */
export function userListView(user: User): ListedUser {
  return {
    ...sessionUserView(user),
    disabled: user.disabled_at !== null,
    createdAt: user.created_at.toISOString(),
  };
}
