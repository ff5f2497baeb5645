import { claimView } from './claim-view';

const HOUR = 3_600_000;
const now = new Date('2026-12-01T12:00:00Z');
const claimed = {
  status: 'in_review' as const,
  assigned_to: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f',
  claimed_at: new Date('2026-12-01T11:00:00Z'),
  last_analyst_activity_at: new Date('2026-12-01T11:30:00Z'),
};
const ana = { name: 'Ana', kind: 'person' as const };

describe(claimView.name, () => {
  it('names the holder and tells when the claim goes back to the queue', () => {
    expect(claimView(claimed, ana, 2 * HOUR, now)).toEqual({
      holder: { id: claimed.assigned_to, kind: 'person', name: 'Ana' },
      claimedAt: '2026-12-01T11:00:00.000Z',
      lastActivityAt: '2026-12-01T11:30:00.000Z',
      releasesAt: '2026-12-01T13:30:00.000Z',
      stale: false,
    });
  });

  it('is stale once its holder has not acted for half the claim timeout', () => {
    expect(claimView(claimed, ana, 2 * HOUR, new Date('2026-12-01T12:29:59Z'))?.stale).toBe(false);
    expect(claimView(claimed, ana, 2 * HOUR, new Date('2026-12-01T12:30:00Z'))?.stale).toBe(true);
    // a claim without any recorded activity counts from the claim
    expect(claimView({ ...claimed, last_analyst_activity_at: null }, ana, 2 * HOUR, now)).toMatchObject({
      releasesAt: '2026-12-01T13:00:00.000Z',
      stale: true,
    });
  });

  it('is null for a case nobody holds', () => {
    expect(claimView({ ...claimed, status: 'queued', assigned_to: null }, null, 2 * HOUR, now)).toBeNull();
    expect(claimView({ ...claimed, status: 'awaiting_customer' }, ana, 2 * HOUR, now)).toBeNull();
  });
});
