import { compareQueuePositions, QueuePosition } from './queue-order';

const at = (iso: string) => new Date(iso);
const position = (overrides: Partial<QueuePosition>): QueuePosition => ({
  tier: 'standard',
  premium: false,
  severity: 3,
  responseDueAt: at('2026-11-26T10:00:00Z'),
  createdAt: at('2026-11-25T10:00:00Z'),
  ...overrides,
});

describe(compareQueuePositions.name, () => {
  it('puts MSA Start before standard whatever the severity', () => {
    const msaLow = position({ tier: 'msa_start', severity: 4 });
    const standardCritical = position({ severity: 1 });
    expect([standardCritical, msaLow].sort(compareQueuePositions)).toEqual([msaLow, standardCritical]);
  });

  it('puts premium before not within a tier, then severity, then the earliest due time', () => {
    const a = position({ tier: 'msa_start', premium: true, severity: 3 });
    const b = position({ tier: 'msa_start', severity: 1 });
    const c = position({ tier: 'msa_start', severity: 1, responseDueAt: at('2026-11-25T12:00:00Z') });
    const d = position({ tier: 'msa_start', severity: 2 });
    expect([d, b, c, a].sort(compareQueuePositions)).toEqual([a, c, b, d]);
  });

  it('falls back to the oldest case when everything else is equal', () => {
    const older = position({ createdAt: at('2026-11-25T09:00:00Z') });
    const newer = position({});
    expect([newer, older].sort(compareQueuePositions)).toEqual([older, newer]);
  });
});
