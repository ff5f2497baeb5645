import { describeTimeZone, formatDate, formatDateTime, formatDay, formatElapsed } from './format';

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

describe('elapsed times and days', () => {
  it('says seconds, minutes, hours or days, the two largest units', () => {
    expect(formatElapsed(42.4)).toBe('42 s');
    expect(formatElapsed(185)).toBe('3 m 5 s');
    expect(formatElapsed(2 * 3600 + 10 * 60 + 59)).toBe('2 h 10 m');
    expect(formatElapsed(3 * 86_400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatElapsed(-5)).toBe('0 s');
    expect(formatElapsed(0.42)).toBe('0.4 s');
    expect(formatElapsed(3)).toBe('3 s');
  });

  it('writes the API days in the reader language, whatever the browser time zone', () => {
    expect(formatDay('2026-11-30', 'en-GB')).toBe('30 Nov');
    expect(formatDay('2026-11-01', 'es')).toMatch(/^1 nov/);
  });
});
