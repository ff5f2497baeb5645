import type { InvitationPreview } from '../../../../libs/people/src/invitations/invitation-preview.schema';
import type { ListedUser, SessionUser } from '../../../../libs/people/src/session-user.schema';
import { api, type ApiClient } from './client';

export type { InvitationPreview, ListedUser };

/**
 * `GET /v1/invitations/:token`: who is invited, to which organisation; `404` for an unknown link,
 * `410 invitation_expired` or `410 invitation_used` for one that no longer works.
 */
export function fetchInvitation(token: string, client: ApiClient = api): Promise<InvitationPreview> {
  return client.get(`/v1/invitations/${encodeURIComponent(token)}`);
}

/** `POST /v1/invitations/:token/accept`: the account is made; signing in comes after. */
export async function acceptInvitation(
  token: string,
  input: { password: string; displayName?: string },
  client: ApiClient = api,
): Promise<SessionUser> {
  const { user } = await client.post<{ user: SessionUser }>(
    `/v1/invitations/${encodeURIComponent(token)}/accept`,
    input,
    {
      withoutCsrf: true,
    },
  );
  return user;
}

/** `POST /v1/password-resets`: always accepted; a link goes out when the email has an account. */
export async function requestPasswordReset(email: string, client: ApiClient = api): Promise<void> {
  await client.post('/v1/password-resets', { email }, { withoutCsrf: true });
}

/** `POST /v1/password-resets/:token`: the new password; every session of the account ends. */
export async function resetPassword(token: string, password: string, client: ApiClient = api): Promise<void> {
  await client.post(`/v1/password-resets/${encodeURIComponent(token)}`, { password }, { withoutCsrf: true });
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
}

export async function startTotp(client: ApiClient = api): Promise<TotpEnrolment> {
  return client.post<TotpEnrolment>('/v1/sessions/current/totp');
}

export async function confirmTotp(code: string, client: ApiClient = api): Promise<SessionUser> {
  const { user } = await client.post<{ user: SessionUser }>('/v1/sessions/current/totp/confirm', { code });
  return user;
}

export interface UsersPage {
  items: ListedUser[];
  nextCursor: string | null;
}

export const organizationUsersQueryKey = ['organization-users'] as const;

export async function listOrganizationUsers(cursor?: string, client: ApiClient = api): Promise<UsersPage> {
  const query = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
  return client.get<UsersPage>(`/v1/organizations/current/users?${query}`);
}

export interface InvitationRequest {
  email: string;
  displayName: string;
  organizationAdmin: boolean;
}

/** An organisation's admin invites a colleague: a customer of their own organisation. */
export async function inviteColleague(input: InvitationRequest, client: ApiClient = api): Promise<void> {
  await client.post('/v1/admin/users/invitations', { ...input, role: 'customer' });
}

export async function disableOrganizationUser(id: string, client: ApiClient = api): Promise<void> {
  await client.delete(`/v1/organizations/current/users/${encodeURIComponent(id)}`);
}
