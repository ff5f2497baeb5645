import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '@sigdesk/db';
import type { Principal } from './principal';

const ROLE_TAG: Record<Role, string> = { customer: 'cus', analyst: 'ana', release: 'rel', admin: 'adm' };

/** A new key: 256 random bits, tagged with its role so a leaked key is recognisable in a log or a repository. */
export function generateApiKey(role: Role): string {
  return `sdk_${ROLE_TAG[role]}_${randomBytes(32).toString('base64url')}`;
}

/** Keys carry 256 bits of entropy, so a plain SHA-256 is enough: there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, 12);
}

/** Who makes or revokes a key, as its row records it: the actor, and a person's display name (none for a key). */
export function actorOf(principal: Principal): { actorId: string; name: string | null } {
  return { actorId: principal.actorId, name: principal.displayName };
}
