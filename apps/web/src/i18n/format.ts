/** Dates and times in the person's language and time zone, with the browser's Intl. */

/** The browser's time zone (IANA name); the tests set it with the browser's context. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `30 Nov 2026, 09:00` / `30 nov 2026, 9:00`. */
export function formatDateTime(value: Date | string, locale: string, timeZone: string = browserTimeZone()): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    typeof value === 'string' ? new Date(value) : value,
  );
}

/** `30 November 2026` / `30 de noviembre de 2026`. */
export function formatDate(value: Date | string, locale: string, timeZone: string = browserTimeZone()): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(
    typeof value === 'string' ? new Date(value) : value,
  );
}

/** A time zone as a person reads it: `Europe/Madrid (GMT+1)`, the offset it has at `at`. */
export function describeTimeZone(locale: string, timeZone: string = browserTimeZone(), at = new Date()): string {
  const offset = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'shortOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  return offset ? `${timeZone} (${offset})` : timeZone;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A size as a person reads it: `256 MiB`, `1,5 KiB` (binary units, as the API's limits are set). */
export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${BYTE_UNITS[unit]}`;
}

/** Working time as a person reads it: `3 h 20 m`, `45 m` (hours and minutes, whatever the language). */
export function formatWorkingDuration(seconds: number): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} m` : `${minutes} m`;
}

/** An elapsed time as a person reads it: `0.4 s`, `42 s`, `3 m 5 s`, `2 h 10 m`, `3 d 4 h` (whatever the language). */
export function formatElapsed(seconds: number): string {
  // under ten seconds, tenths tell a quick build's time apart from none at all
  if (seconds > 0 && seconds < 9.95) return `${Number(seconds.toFixed(1))} s`;
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} m ${whole % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} m`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A day (YYYY-MM-DD, as the API counts days) in `locale`'s short form: "30 Nov", "30 nov". */
export function formatDay(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  );
}
