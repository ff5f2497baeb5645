import type { Role } from '@sigdesk/db';

/** Who is calling: resolved on every request from an API key or a person's session, with the same rights. */
export interface Principal {
  role: Role;
  /** Set for `customer` principals only: the one organisation whose data they reach. */
  organizationId: string | null;
  /** The API key, for requests made with one. */
  keyId: string | null;
  /** The person, for requests made in their session, and the name they go by. */
  userId: string | null;
  displayName: string | null;
  /**
   * Who acted, as the columns that record it hold it (`submitted_by`, `assigned_to`, a change's author…): the key's
   * id or the person's. Stable for as long as the key or the account exists.
   */
  actorId: string;
  /** Set when the request came with a session cookie. */
  session?: PrincipalSession;
}

export interface PrincipalSession {
  id: string;
  csrfToken: string;
  organizationAdmin: boolean;
  /** A staff member who must enrol a second factor first: the session reaches only the enrolment routes. */
  totpEnrolmentOnly: boolean;
}

/** A principal of an API key. */
export function keyPrincipal(key: { id: string; role: Role; organization_id: string | null }): Principal {
  return {
    role: key.role,
    organizationId: key.organization_id,
    keyId: key.id,
    userId: null,
    displayName: null,
    actorId: key.id,
  };
}
