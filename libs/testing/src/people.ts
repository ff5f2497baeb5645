import { ApiClient } from './api-client';
import { SessionClient } from './session-client';
import { linkIn, SmtpCatcher } from './smtp-catcher';
import type { TestEnvironment } from './test-environment';

export interface InvitedPerson {
  id: string;
  email: string;
  password: string;
  displayName: string;
  /** Signed in already. */
  session: SessionClient;
}

/** The token of the latest link under `path` mailed to `email`. */
export async function mailedToken(smtp: SmtpCatcher, email: string, path: string): Promise<string> {
  return linkIn(await smtp.nextMailTo(email), path)
    .split('/')
    .pop()!;
}

/** A person invited by the admin key, who accepted with `password` and signed in. */
export async function invitePerson(
  env: TestEnvironment,
  smtp: SmtpCatcher,
  input: {
    email: string;
    displayName: string;
    role: 'customer' | 'analyst' | 'release' | 'admin';
    organizationId?: string;
    organizationAdmin?: boolean;
  },
  password = 'a long enough passphrase',
): Promise<InvitedPerson> {
  const admin = new ApiClient(env.url, env.adminKey);
  const invited = await admin.post('/v1/admin/users/invitations', input);
  if (invited.status !== 201) throw new Error(`invite: ${invited.status} ${JSON.stringify(invited.body)}`);
  const token = await mailedToken(smtp, input.email, '/invitations');
  const accepted = await new ApiClient(env.url).post(`/v1/invitations/${token}/accept`, { password });
  if (accepted.status !== 201) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const session = new SessionClient(env.url);
  const signedIn = await session.signIn(input.email, password);
  if (signedIn.status !== 201) throw new Error(`sign in: ${signedIn.status} ${JSON.stringify(signedIn.body)}`);
  return { id: accepted.body.user.id, email: input.email, password, displayName: input.displayName, session };
}
