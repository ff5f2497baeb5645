import type { Role } from '@sigdesk/db';

/** Who is calling: resolved from the API key on every request. */
export interface Principal {
  keyId: string;
  role: Role;
  /** Set for `customer` keys only: the one organisation whose data the key reaches. */
  organizationId: string | null;
}
