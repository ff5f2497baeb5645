import type { ContractTier } from '@sigdesk/db';

/** What decides a case's place in the review queue. */
export interface QueuePosition {
  tier: ContractTier;
  premium: boolean;
  severity: number;
  responseDueAt: Date | null;
  createdAt: Date;
}

/**
 * The order work must be done in: MSA Start before standard, premium before not, severity 1 first, then the
 * earliest response due time (then the oldest). The SQL of the queue sorts by the same keys; this function is
 * the rule written once for people and tests.
 */
export function compareQueuePositions(a: QueuePosition, b: QueuePosition): number {
  return (
    Number(a.tier !== 'msa_start') - Number(b.tier !== 'msa_start') ||
    Number(!a.premium) - Number(!b.premium) ||
    a.severity - b.severity ||
    (a.responseDueAt?.getTime() ?? Infinity) - (b.responseDueAt?.getTime() ?? Infinity) ||
    a.createdAt.getTime() - b.createdAt.getTime()
  );
}
