import Holidays from 'date-holidays';

export interface BusinessCalendarSpec {
  /** IANA time zone, e.g. 'Europe/Madrid'. */
  timeZone: string;
  /** ISO 3166-1 alpha-2 country whose national public holidays are days off, e.g. 'ES'. */
  country: string;
  /** ISO weekdays 1=Mon..7=Sun; default Monday to Friday. */
  workingDays?: number[];
  /** 'HH:MM' local wall-clock time; default '09:00'. */
  workStart?: string;
  /** 'HH:MM' local wall-clock time, '24:00' allowed; default '18:00'. */
  workEnd?: string;
}

const DAY_MS = 86_400_000;
// Far beyond any real run of weekends and holidays; only a pathological calendar can hit it, and then an error beats a
// loop that never ends.
const MAX_DAYS_WITHOUT_WORK = 1000;

interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

interface Window {
  start: number;
  end: number;
}

function timeZoneFormatter(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23: with hour12 false some engines print midnight as '24'
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    throw new Error(`Invalid time zone '${timeZone}': ${(error as Error).message}`);
  }
}

function localParts(formatter: Intl.DateTimeFormat, instant: number): LocalDateTime {
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year,
    month: fields.month,
    day: fields.day,
    hour: fields.hour,
    minute: fields.minute,
    second: fields.second,
  };
}

/** Milliseconds to add to UTC to get the zone's wall-clock time at `instant` (whole seconds). */
function offsetAt(formatter: Intl.DateTimeFormat, instant: number): number {
  const local = localParts(formatter, instant);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The UTC instant at which the zone's clocks show the given local date and time. Fields may overflow (minute 1440
 * is the next midnight). A time that occurs twice when clocks go back resolves to the first occurrence; a time skipped
 * when clocks go forward resolves to the same distance past the gap (02:30 on a 02:00→03:00 night becomes 03:30), as
 * Temporal's 'compatible' disambiguation does.
 */
export function zonedTimeToInstant(
  timeZone: string | Intl.DateTimeFormat,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): Date {
  const formatter = typeof timeZone === 'string' ? timeZoneFormatter(timeZone) : timeZone;
  return new Date(zonedTimeToEpochMs(formatter, year, month, day, hour, minute));
}

function zonedTimeToEpochMs(
  formatter: Intl.DateTimeFormat,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Offsets a day either side bracket any single transition near the wanted time, so each is a candidate offset.
  const before = offsetAt(formatter, wall - DAY_MS);
  const after = offsetAt(formatter, wall + DAY_MS);
  const matches = [before, after]
    .map((offset) => wall - offset)
    .filter((instant) => instant - wall + offsetAt(formatter, instant) === 0);
  if (matches.length > 0) return Math.min(...matches);
  // No instant shows this wall time (spring-forward gap): reading it with the pre-gap offset lands after the gap.
  return wall - before;
}

function parseTime(value: string, name: string, allowEndOfDay: boolean): number {
  const match = /^(\d{2}):(\d{2})$/.exec(value);
  const hours = match ? Number(match[1]) : NaN;
  const minutes = match ? Number(match[2]) : NaN;
  const endOfDay = allowEndOfDay && hours === 24 && minutes === 0;
  if (!match || ((hours > 23 || minutes > 59) && !endOfDay)) {
    throw new Error(
      `Invalid ${name} '${value}': expected 'HH:MM' between 00:00 and ${allowEndOfDay ? '24:00' : '23:59'}`,
    );
  }
  return hours * 60 + minutes;
}

function epochDayToDate(epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
}

function dateToEpochDay(localDate: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDate);
  const epochDay = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS : NaN;
  if (!match || !Number.isInteger(epochDay) || epochDayToDate(epochDay) !== localDate) {
    throw new Error(`Invalid local date '${localDate}': expected an existing date as YYYY-MM-DD`);
  }
  return epochDay;
}

function checkInstant(value: Date, name: string): number {
  const time = value instanceof Date ? value.getTime() : NaN;
  if (Number.isNaN(time)) throw new Error(`Invalid ${name}: expected a valid Date`);
  return time;
}

/**
 * Working hours of one customer: fixed local hours on chosen weekdays, minus the country's national public holidays.
 * Working time is real elapsed time inside those local hours, so 09:00–18:00 is 9 hours on every working day, including
 * the days clocks change; only a window that itself spans the change (say 00:00–24:00) is an hour shorter or longer.
 */
let knownCountries: Record<string, string> | undefined;

/** Whether public holidays are known for this ISO 3166-1 alpha-2 code (a calendar can be built for it). */
export function isKnownCountry(country: string): boolean {
  knownCountries ??= new Holidays().getCountries();
  return /^[A-Z]{2}$/.test(country) && country in knownCountries;
}

export class BusinessCalendar {
  readonly timeZone: string;
  readonly country: string;
  readonly workingDays: readonly number[];
  readonly workStart: string;
  readonly workEnd: string;

  private readonly formatter: Intl.DateTimeFormat;
  private readonly startMinute: number;
  private readonly endMinute: number;
  private readonly holidays: Holidays;
  private readonly holidayDates = new Map<number, Set<string>>();
  private readonly loadedYears = new Set<number>();
  // Each day's window costs several Intl.DateTimeFormat calls, and SLA clocks keep asking about the same few weeks.
  private readonly windows = new Map<number, Window | null>();

  constructor(spec: BusinessCalendarSpec) {
    this.formatter = timeZoneFormatter(spec.timeZone);
    this.timeZone = this.formatter.resolvedOptions().timeZone;

    this.workStart = spec.workStart ?? '09:00';
    this.workEnd = spec.workEnd ?? '18:00';
    this.startMinute = parseTime(this.workStart, 'workStart', false);
    this.endMinute = parseTime(this.workEnd, 'workEnd', true);
    if (this.endMinute <= this.startMinute) {
      throw new Error(`workEnd '${this.workEnd}' must be after workStart '${this.workStart}'`);
    }

    const workingDays = spec.workingDays ?? [1, 2, 3, 4, 5];
    const invalidDay = workingDays.find((day) => !Number.isInteger(day) || day < 1 || day > 7);
    if (invalidDay !== undefined) {
      throw new Error(`Invalid working day ${invalidDay}: expected ISO weekdays 1 (Monday) to 7 (Sunday)`);
    }
    if (workingDays.length === 0) throw new Error('A business calendar needs at least one working day');
    this.workingDays = [...new Set(workingDays)].sort((a, b) => a - b);

    this.country = spec.country.toUpperCase();
    this.holidays = new Holidays(this.country);
    // date-holidays accepts any code and then silently has no holidays, which would quietly shorten every SLA clock.
    if (!/^[A-Z]{2}$/.test(this.country) || !(this.country in this.holidays.getCountries())) {
      throw new Error(`Unknown country '${spec.country}': expected an ISO 3166-1 alpha-2 code known to date-holidays`);
    }
  }

  addWorkingTime(from: Date, workingMs: number): Date {
    let cursor = checkInstant(from, 'from');
    if (!Number.isFinite(workingMs) || workingMs < 0) {
      throw new Error(`Invalid working time ${workingMs}: expected a finite number of milliseconds >= 0`);
    }
    if (workingMs === 0) return new Date(cursor);

    let remaining = workingMs;
    let idleDays = 0;
    // Start a day early: the previous local day's window can reach into this one when a transition sits at midnight.
    for (let day = this.localEpochDay(cursor) - 1; ; day++) {
      const window = this.windowOf(day);
      const start = window ? Math.max(window.start, cursor) : 0;
      if (!window || start >= window.end) {
        if (++idleDays > MAX_DAYS_WITHOUT_WORK) {
          throw new Error(`No working time in ${MAX_DAYS_WITHOUT_WORK} consecutive days from ${epochDayToDate(day)}`);
        }
        continue;
      }
      idleDays = 0;
      const available = window.end - start;
      if (remaining <= available) return new Date(start + remaining);
      remaining -= available;
      cursor = window.end;
    }
  }

  workingTimeBetween(from: Date, to: Date): number {
    const start = checkInstant(from, 'from');
    const end = checkInstant(to, 'to');
    let total = 0;
    for (let day = this.localEpochDay(start) - 1, last = this.localEpochDay(end); start < end && day <= last; day++) {
      const window = this.windowOf(day);
      if (window) total += Math.max(0, Math.min(window.end, end) - Math.max(window.start, start));
    }
    return total;
  }

  isWorkingTime(at: Date): boolean {
    const instant = checkInstant(at, 'at');
    const day = this.localEpochDay(instant);
    return [day - 1, day].some((candidate) => {
      const window = this.windowOf(candidate);
      return window !== null && window.start <= instant && instant < window.end;
    });
  }

  /**
   * The end of the working hours that `at` is in (the instant working time stops counting), or null when `at` is
   * not working time. A clock shown as counting down can tick until then without asking again.
   */
  workingStretchEnd(at: Date): Date | null {
    const instant = checkInstant(at, 'at');
    const day = this.localEpochDay(instant);
    for (const candidate of [day - 1, day]) {
      const window = this.windowOf(candidate);
      if (window !== null && window.start <= instant && instant < window.end) return new Date(window.end);
    }
    return null;
  }

  isHoliday(localDate: string): boolean {
    const year = new Date(dateToEpochDay(localDate) * DAY_MS).getUTCFullYear();
    // A multi-day holiday starting late in December continues into the next year.
    this.loadYear(year - 1);
    this.loadYear(year);
    return this.holidayDates.get(year)?.has(localDate) ?? false;
  }

  private localEpochDay(instant: number): number {
    const local = localParts(this.formatter, instant);
    return Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
  }

  private windowOf(epochDay: number): Window | null {
    const cached = this.windows.get(epochDay);
    if (cached !== undefined) return cached;
    const date = new Date(epochDay * DAY_MS);
    const isoWeekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
    let window: Window | null = null;
    if (this.workingDays.includes(isoWeekday) && !this.isHoliday(epochDayToDate(epochDay))) {
      const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      const start = zonedTimeToEpochMs(this.formatter, year, month, day, 0, this.startMinute);
      const end = zonedTimeToEpochMs(this.formatter, year, month, day, 0, this.endMinute);
      // Both ends inside one spring-forward gap leave no time to work.
      window = end > start ? { start, end } : null;
    }
    this.windows.set(epochDay, window);
    return window;
  }

  private loadYear(year: number): void {
    if (this.loadedYears.has(year)) return;
    this.loadedYears.add(year);
    for (const holiday of this.holidays.getHolidays(year)) {
      // Half-day holidays (starting at noon, say) leave a working morning; treating them as days off would overstate
      // the SLA clock, so only holidays starting at local midnight count.
      if (holiday.type !== 'public' || holiday.date.slice(11, 19) !== '00:00:00') continue;
      const first = dateToEpochDay(holiday.date.slice(0, 10));
      // `date` is local, but start/end are instants whose difference gives the length in days (e.g. a 3-day Eid).
      const days = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / DAY_MS));
      for (let day = first; day < first + days; day++) {
        const date = epochDayToDate(day);
        const dateYear = Number(date.slice(0, 4));
        const dates = this.holidayDates.get(dateYear) ?? new Set<string>();
        dates.add(date);
        this.holidayDates.set(dateYear, dates);
      }
    }
  }
}
