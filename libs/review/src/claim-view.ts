import type { Case } from '@sigdesk/db';
import type { Claim } from './review.schemas';

/**
 * Who holds a case in review and how fresh the claim is. A claim nobody acts on goes back to the queue after the
 * claim timeout (`releaseStaleClaims`); it is shown as stale from half that time on, when the others may want to
 * take it over rather than wait.
 */
export function claimView(
  found: Pick<Case, 'status' | 'assigned_to' | 'claimed_at' | 'last_analyst_activity_at'>,
  holder: { name: string; kind: 'person' | 'key' } | null,
  claimTimeoutMs: number,
  now: Date,
): Claim | null {
  if (found.status !== 'in_review' || !found.assigned_to) return null;
  const lastActivity = found.last_analyst_activity_at ?? found.claimed_at;
  const idleMs = lastActivity ? now.getTime() - lastActivity.getTime() : Infinity;
  return {
    holder: { id: found.assigned_to, kind: holder?.kind ?? 'key', name: holder?.name ?? null },
    claimedAt: found.claimed_at?.toISOString() ?? null,
    lastActivityAt: found.last_analyst_activity_at?.toISOString() ?? null,
    releasesAt: lastActivity ? new Date(lastActivity.getTime() + claimTimeoutMs).toISOString() : null,
    stale: idleMs >= claimTimeoutMs / 2,
  };
}
