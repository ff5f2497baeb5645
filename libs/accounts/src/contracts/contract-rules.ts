import type { Contract, ContractTier } from '@sigdesk/db';

/** MSA Start includes six premium incidents per contract term; standard support has none. */
export const PREMIUM_INCIDENTS_PER_TERM = 6;

export function premiumAllowance(tier: ContractTier): number {
  return tier === 'msa_start' ? PREMIUM_INCIDENTS_PER_TERM : 0;
}

export interface PremiumIncidents {
  total: number;
  used: number;
  remaining: number;
}

export function premiumIncidents(contract: Pick<Contract, 'premium_total' | 'premium_used'>): PremiumIncidents {
  return {
    total: contract.premium_total,
    used: contract.premium_used,
    remaining: Math.max(0, contract.premium_total - contract.premium_used),
  };
}

/** The calendar date (YYYY-MM-DD) it is now in a time zone: contract terms are dates in the customer's zone. */
export function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The contract in force on `today`; when terms overlap, MSA Start wins, then the latest start. */
export function selectActiveContract<C extends Pick<Contract, 'tier' | 'starts_on' | 'ends_on'>>(
  contracts: C[],
  today: string,
): C | undefined {
  return contracts
    .filter((c) => c.starts_on <= today && today <= c.ends_on)
    .sort((a, b) => {
      if (a.tier !== b.tier) return a.tier === 'msa_start' ? -1 : 1;
      return b.starts_on.localeCompare(a.starts_on);
    })[0];
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}
