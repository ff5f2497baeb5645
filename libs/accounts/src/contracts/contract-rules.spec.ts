import { localDate, premiumAllowance, premiumIncidents, selectActiveContract } from './contract-rules';

const contract = (overrides: Partial<{ tier: 'standard' | 'msa_start'; starts_on: string; ends_on: string }>) => ({
  tier: 'standard' as const,
  starts_on: '2026-01-01',
  ends_on: '2026-12-31',
  ...overrides,
});

describe('contract rules', () => {
  it('gives MSA Start six premium incidents and standard none', () => {
    expect(premiumAllowance('msa_start')).toBe(6);
    expect(premiumAllowance('standard')).toBe(0);
  });

  it('counts the remaining premium incidents and never goes below zero', () => {
    expect(premiumIncidents({ premium_total: 6, premium_used: 2 })).toEqual({ total: 6, used: 2, remaining: 4 });
    expect(premiumIncidents({ premium_total: 6, premium_used: 6 }).remaining).toBe(0);
  });

  it('selects the contract in force, inclusive of both ends of the term', () => {
    const ended = contract({ ends_on: '2026-06-30' });
    const current = contract({ starts_on: '2026-07-01' });
    expect(selectActiveContract([ended, current], '2026-06-30')).toBe(ended);
    expect(selectActiveContract([ended, current], '2026-07-01')).toBe(current);
    expect(selectActiveContract([ended, current], '2027-01-01')).toBeUndefined();
  });

  it('prefers MSA Start when terms overlap', () => {
    const standard = contract({ starts_on: '2026-03-01' });
    const msa = contract({ tier: 'msa_start' });
    expect(selectActiveContract([standard, msa], '2026-05-01')).toBe(msa);
  });

  it('reads the date in the customer time zone', () => {
    const lateEvening = new Date('2026-12-31T23:30:00Z');
    expect(localDate(lateEvening, 'UTC')).toBe('2026-12-31');
    expect(localDate(lateEvening, 'Europe/Madrid')).toBe('2027-01-01');
    expect(localDate(lateEvening, 'America/Mexico_City')).toBe('2026-12-31');
  });
});
