import { datesBetween, localDate } from './dashboard.service';

describe("the dashboard's days", () => {
  it('lists every date from the first to the last, across a month and a year', () => {
    expect(datesBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(datesBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(datesBetween('2026-11-30', '2026-11-30')).toEqual(['2026-11-30']);
    expect(datesBetween('2026-12-01', '2026-11-30')).toEqual([]);
  });

  it("writes a time as the date of the viewer's time zone", () => {
    const lateEvening = new Date('2026-11-30T23:30:00Z');
    expect(localDate(lateEvening, 'UTC')).toBe('2026-11-30');
    expect(localDate(lateEvening, 'Europe/Madrid')).toBe('2026-12-01');
    expect(localDate(lateEvening, 'America/New_York')).toBe('2026-11-30');
  });
});
