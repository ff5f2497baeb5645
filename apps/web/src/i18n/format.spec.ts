import { describeTimeZone, formatDate, formatDateTime } from './format';

describe('date and time formats', () => {
  const instant = '2026-11-30T08:05:00Z';

  it('shows a moment in the language and time zone of the person', () => {
    expect(formatDateTime(instant, 'en', 'Europe/Madrid')).toBe('Nov 30, 2026, 9:05 AM');
    expect(formatDateTime(instant, 'es', 'Europe/Madrid')).toBe('30 nov 2026, 9:05');
    expect(formatDateTime(instant, 'es', 'America/Mexico_City')).toBe('30 nov 2026, 2:05');
  });

  it('shows the day of a moment where the person is', () => {
    expect(formatDate('2026-11-30T23:30:00Z', 'en', 'UTC')).toBe('November 30, 2026');
    expect(formatDate('2026-11-30T23:30:00Z', 'es', 'Europe/Madrid')).toBe('1 de diciembre de 2026');
  });

  it('names the time zone with its offset at that moment', () => {
    expect(describeTimeZone('en', 'Europe/Madrid', new Date(instant))).toBe('Europe/Madrid (GMT+1)');
    expect(describeTimeZone('es', 'Europe/Madrid', new Date('2026-07-01T12:00:00Z'))).toBe('Europe/Madrid (GMT+2)');
  });
});
