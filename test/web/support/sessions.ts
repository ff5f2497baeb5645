import { randomBytes } from 'node:crypto';
import type { BrowserContext, Request } from 'playwright-core';
import { ApiClient, mailedToken, seedCustomer, webTestOf } from '@sigdesk/testing';

/** The person the customer area's tests sign in as (each test gets an account of its own, with this name). */
export const USER = {
  displayName: 'Ana García',
  role: 'customer' as const,
};

/** The password every person of the browser tests chooses. */
export const PASSWORD = 'correct horse battery staple';

export interface Person {
  id: string;
  email: string;
  password: string;
  displayName: string;
  organizationId: string;
  organizationAdmin: boolean;
}

/** A person of the vendor's staff: an analyst, a release engineer or an admin (no organisation). */
export interface StaffPerson {
  id: string;
  email: string;
  password: string;
  displayName: string;
  role: 'analyst' | 'release' | 'admin';
}

export interface SessionsStandIn {
  /** The person: a real account, invited by an admin and accepted. */
  person: Person;
  /** The CSRF token of the session signed in for the context; none when the context is signed out. */
  csrfToken: string | undefined;
  /** The browser's requests to the session routes (`/v1/sessions…`), in order. */
  requests: Request[];
  /** Whether the context's cookie still opens a session, as the API says. */
  isSignedIn(): Promise<boolean>;
}

/** An email nobody else of the test run has. */
export function uniqueEmail(name = 'ana.garcia'): string {
  return `${name}.${randomBytes(5).toString('hex')}@acme.example`;
}

/** The local part of an address for `displayName`: lower case, without accents, words joined by dots. */
function emailName(displayName: string): string {
  const name = displayName
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('.');
  return name || 'person';
}

/** A real person of `organizationId`, invited by the admin key and accepted through the API (the mailed link). */
export async function invitedPerson(
  context: BrowserContext,
  options: { organizationId: string; organizationAdmin?: boolean; displayName?: string; email?: string },
): Promise<Person> {
  const web = webTestOf(context);
  const displayName = options.displayName ?? USER.displayName;
  // the address goes with the name, as on the pages' screenshots: "Pedro Gómez" is pedro.gomez.…@acme.example
  const email = options.email ?? uniqueEmail(emailName(displayName));
  const admin = new ApiClient(web.env.url, web.env.adminKey);
  const invited = await admin.post('/v1/admin/users/invitations', {
    email,
    displayName,
    role: 'customer',
    organizationId: options.organizationId,
    organizationAdmin: options.organizationAdmin ?? false,
  });
  if (invited.status !== 201) throw new Error(`invite: ${invited.status} ${JSON.stringify(invited.body)}`);
  const token = await mailedToken(web.smtp, email, '/invitations');
  const accepted = await new ApiClient(web.env.url).post(`/v1/invitations/${token}/accept`, { password: PASSWORD });
  if (accepted.status !== 201) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return {
    id: accepted.body.user.id,
    email,
    password: PASSWORD,
    displayName,
    organizationId: options.organizationId,
    organizationAdmin: options.organizationAdmin ?? false,
  };
}

/** A real member of the vendor's staff, invited by the admin key and accepted through the API (the mailed link). */
export async function invitedStaff(
  context: BrowserContext,
  options: { role: StaffPerson['role']; displayName: string; email?: string },
): Promise<StaffPerson> {
  const web = webTestOf(context);
  const email =
    options.email ?? uniqueEmail(emailName(options.displayName)).replace('@acme.example', '@sigdesk.example');
  const admin = new ApiClient(web.env.url, web.env.adminKey);
  const invited = await admin.post('/v1/admin/users/invitations', {
    email,
    displayName: options.displayName,
    role: options.role,
  });
  if (invited.status !== 201) throw new Error(`invite: ${invited.status} ${JSON.stringify(invited.body)}`);
  const token = await mailedToken(web.smtp, email, '/invitations');
  const accepted = await new ApiClient(web.env.url).post(`/v1/invitations/${token}/accept`, { password: PASSWORD });
  if (accepted.status !== 201) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { id: accepted.body.user.id, email, password: PASSWORD, displayName: options.displayName, role: options.role };
}

/** `context` signed in as a new member of the staff with `role`: the person, and the session's CSRF token. */
export async function signedInStaff(
  context: BrowserContext,
  options: { role: StaffPerson['role']; displayName: string },
): Promise<{ person: StaffPerson; csrfToken: string }> {
  const person = await invitedStaff(context, options);
  return { person, csrfToken: await signInContext(context, person) };
}

/**
 * Signs `context` in as `person` (`POST /v1/sessions` from the context, so its cookie jar keeps the session's
 * httpOnly cookie, as the sign-in page would); answers the session's CSRF token.
 */
export async function signInContext(
  context: BrowserContext,
  person: Pick<Person, 'email' | 'password'>,
  totpCode?: string,
): Promise<string> {
  const answer = await context.request.post('/v1/sessions', {
    data: { email: person.email, password: person.password, ...(totpCode ? { totpCode } : {}) },
    failOnStatusCode: false,
  });
  if (answer.status() !== 201) throw new Error(`sign in: ${answer.status()} ${await answer.text()}`);
  return ((await answer.json()) as { csrfToken: string }).csrfToken;
}

/** The organisation whose customer key the context sends (`Authorization` in its extra headers), if any. */
async function organizationOfHeaders(context: BrowserContext): Promise<string | undefined> {
  const answer = await context.request.get('/v1/organizations/current', { failOnStatusCode: false });
  if (answer.status() !== 200) return undefined;
  return ((await answer.json()) as { id: string }).id;
}

/**
 * A real person for the browser `context`, signed in when `signedIn` (the session's cookie in the context), on the
 * sigdesk of the WebTest that opened the context. The person belongs to `options.organizationId`; else to the
 * organisation of a customer key the context was given as `Authorization` (which this then takes away: the session
 * does the work now); else to a new organisation with an MSA Start contract.
 */
export async function standInForSessions(
  context: BrowserContext,
  signedIn: boolean,
  options: { organizationId?: string; organizationAdmin?: boolean; displayName?: string } = {},
): Promise<SessionsStandIn> {
  const web = webTestOf(context);
  let organizationId = options.organizationId;
  const fromKey = await organizationOfHeaders(context);
  if (fromKey) await context.setExtraHTTPHeaders({});
  organizationId ??= fromKey ?? (await seedCustomer(web.env)).organizationId;
  const person = await invitedPerson(context, { ...options, organizationId });
  const state: SessionsStandIn = {
    person,
    csrfToken: signedIn ? await signInContext(context, person) : undefined,
    requests: [],
    async isSignedIn() {
      const answer = await context.request.get('/v1/sessions/current', { failOnStatusCode: false });
      return answer.status() === 200;
    },
  };
  context.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/v1/sessions')) state.requests.push(request);
  });
  return state;
}
