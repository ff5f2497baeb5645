import Holidays from 'date-holidays';
import { BusinessCalendar, zonedTimeToInstant } from './business-calendar';

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);

describe(BusinessCalendar.name, () => {
  const madrid = new BusinessCalendar({ timeZone: 'Europe/Madrid', country: 'ES' });
  const newYork = new BusinessCalendar({ timeZone: 'America/New_York', country: 'US' });

  describe('addWorkingTime', () => {
    it('finishes the same day when the target fits before the end of the working day', () => {
      expect(madrid.addWorkingTime(at('2026-06-01T10:00:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-01T16:00:00+02:00'));
    });

    it('carries what is left at the end of the day over to the next working morning (1h + 5h)', () => {
      expect(madrid.addWorkingTime(at('2026-06-01T17:00:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-02T14:00:00+02:00'));
    });

    it('ends exactly at the close of business rather than at the next morning when the day is used up', () => {
      expect(madrid.addWorkingTime(at('2026-06-01T09:00:00+02:00'), 9 * HOUR)).toEqual(at('2026-06-01T18:00:00+02:00'));
    });

    it('skips the weekend for a submission on Friday evening', () => {
      expect(madrid.addWorkingTime(at('2026-06-05T17:30:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-08T14:30:00+02:00'));
      expect(madrid.addWorkingTime(at('2026-06-05T20:00:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-08T15:00:00+02:00'));
    });

    it('starts counting on Monday morning for a submission on Saturday', () => {
      expect(madrid.addWorkingTime(at('2026-06-06T11:00:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-08T15:00:00+02:00'));
    });

    it('skips a national public holiday in Spain (Tuesday 8 December, Inmaculada Concepción)', () => {
      expect(madrid.addWorkingTime(at('2026-12-07T17:00:00+01:00'), 6 * HOUR)).toEqual(at('2026-12-09T14:00:00+01:00'));
    });

    it('skips Reyes (Tuesday 6 January)', () => {
      expect(madrid.addWorkingTime(at('2026-01-05T15:00:00+01:00'), 6 * HOUR)).toEqual(at('2026-01-07T12:00:00+01:00'));
    });

    it('skips New Year across the turn of the year', () => {
      expect(madrid.addWorkingTime(at('2026-12-31T15:00:00+01:00'), 6 * HOUR)).toEqual(at('2027-01-04T12:00:00+01:00'));
    });

    it('gives different due instants in Madrid and New York for the same submission instant', () => {
      const submitted = at('2026-06-01T08:00:00Z');
      // 10:00 in Madrid, but 04:00 in New York where the clock only starts at 09:00.
      expect(madrid.addWorkingTime(submitted, 6 * HOUR)).toEqual(at('2026-06-01T16:00:00+02:00'));
      expect(newYork.addWorkingTime(submitted, 6 * HOUR)).toEqual(at('2026-06-01T15:00:00-04:00'));
    });

    it('keeps local working hours across the spring-forward weekend in Madrid (UTC+1 to UTC+2 on 29 March)', () => {
      const due = madrid.addWorkingTime(at('2026-03-27T15:00:00+01:00'), 6 * HOUR);
      expect(due).toEqual(at('2026-03-30T12:00:00+02:00'));
      expect(due.toISOString()).toBe('2026-03-30T10:00:00.000Z');
    });

    it('keeps local working hours across the spring-forward weekend in New York (UTC-5 to UTC-4 on 8 March)', () => {
      const due = newYork.addWorkingTime(at('2026-03-06T16:00:00-05:00'), 6 * HOUR);
      expect(due).toEqual(at('2026-03-09T13:00:00-04:00'));
      expect(due.toISOString()).toBe('2026-03-09T17:00:00.000Z');
    });

    it('counts 09:00 to 18:00 as nine hours on the day the clocks change', () => {
      const everyDay = new BusinessCalendar({
        timeZone: 'Europe/Madrid',
        country: 'ES',
        workingDays: [1, 2, 3, 4, 5, 6, 7],
      });
      expect(everyDay.addWorkingTime(at('2026-03-28T15:00:00+01:00'), 6 * HOUR)).toEqual(
        at('2026-03-29T12:00:00+02:00'),
      );
      expect(everyDay.addWorkingTime(at('2026-03-29T09:00:00+02:00'), 9 * HOUR)).toEqual(
        at('2026-03-29T18:00:00+02:00'),
      );
      expect(everyDay.addWorkingTime(at('2026-10-25T09:00:00+01:00'), 9 * HOUR)).toEqual(
        at('2026-10-25T18:00:00+01:00'),
      );

      const newYorkEveryDay = new BusinessCalendar({
        timeZone: 'America/New_York',
        country: 'US',
        workingDays: [1, 2, 3, 4, 5, 6, 7],
      });
      expect(newYorkEveryDay.addWorkingTime(at('2026-03-07T17:00:00-05:00'), 2 * HOUR)).toEqual(
        at('2026-03-08T10:00:00-04:00'),
      );
    });

    it('counts Sunday to Thursday working days in Dubai', () => {
      const dubai = new BusinessCalendar({ timeZone: 'Asia/Dubai', country: 'AE', workingDays: [7, 1, 2, 3, 4] });
      expect(dubai.addWorkingTime(at('2026-06-04T16:00:00+04:00'), 6 * HOUR)).toEqual(at('2026-06-07T13:00:00+04:00'));
    });

    it('counts custom 08:00 to 16:00 working hours', () => {
      const early = new BusinessCalendar({
        timeZone: 'Europe/Madrid',
        country: 'ES',
        workStart: '08:00',
        workEnd: '16:00',
      });
      expect(early.addWorkingTime(at('2026-06-01T15:00:00+02:00'), 6 * HOUR)).toEqual(at('2026-06-02T13:00:00+02:00'));
    });

    it('returns the starting instant itself for zero working time', () => {
      expect(madrid.addWorkingTime(at('2026-06-06T11:00:00+02:00'), 0)).toEqual(at('2026-06-06T11:00:00+02:00'));
    });

    it('refuses negative or non-finite working time and invalid dates', () => {
      expect(() => madrid.addWorkingTime(at('2026-06-01T10:00:00+02:00'), -1)).toThrow(/working time/);
      expect(() => madrid.addWorkingTime(at('2026-06-01T10:00:00+02:00'), Infinity)).toThrow(/working time/);
      expect(() => madrid.addWorkingTime(new Date('not a date'), HOUR)).toThrow(/from/);
    });

    it('adds years of working time consistently', () => {
      const from = at('2026-06-01T10:00:00+02:00');
      const tenYears = 10 * 52 * 45 * HOUR;
      const due = madrid.addWorkingTime(from, tenYears);
      expect(madrid.workingTimeBetween(from, due)).toBe(tenYears);
      expect(madrid.isWorkingTime(new Date(due.getTime() - 1))).toBe(true);
    });

    it('agrees with workingTimeBetween for targets crossing weekends, holidays and clock changes', () => {
      const starts = ['2026-03-27T15:00:00+01:00', '2026-12-04T12:34:56+01:00', '2026-10-23T17:59:00+02:00'];
      for (const start of starts) {
        for (const hours of [0.5, 6, 12, 24, 40, 80]) {
          const from = at(start);
          expect(madrid.workingTimeBetween(from, madrid.addWorkingTime(from, hours * HOUR))).toBe(hours * HOUR);
        }
      }
    });
  });

  describe('workingTimeBetween', () => {
    it('counts only the working hours on either side of a weekend', () => {
      expect(madrid.workingTimeBetween(at('2026-06-05T17:00:00+02:00'), at('2026-06-08T10:00:00+02:00'))).toBe(
        2 * HOUR,
      );
    });

    it('counts nothing on a public holiday', () => {
      expect(madrid.workingTimeBetween(at('2026-12-07T17:00:00+01:00'), at('2026-12-09T10:00:00+01:00'))).toBe(
        2 * HOUR,
      );
    });

    it('counts 45 hours in a full working week', () => {
      expect(madrid.workingTimeBetween(at('2026-06-01T00:00:00+02:00'), at('2026-06-08T00:00:00+02:00'))).toBe(
        45 * HOUR,
      );
    });

    it('is zero when the end is not after the start', () => {
      expect(madrid.workingTimeBetween(at('2026-06-01T12:00:00+02:00'), at('2026-06-01T12:00:00+02:00'))).toBe(0);
      expect(madrid.workingTimeBetween(at('2026-06-01T12:00:00+02:00'), at('2026-06-01T10:00:00+02:00'))).toBe(0);
    });

    it('counts nine hours on the clock-change Sunday for a calendar working every day', () => {
      const everyDay = new BusinessCalendar({
        timeZone: 'Europe/Madrid',
        country: 'ES',
        workingDays: [1, 2, 3, 4, 5, 6, 7],
      });
      expect(everyDay.workingTimeBetween(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'))).toBe(
        9 * HOUR,
      );
    });

    it('counts real elapsed time when the working window itself spans the clock change', () => {
      const allDay = new BusinessCalendar({
        timeZone: 'Europe/Madrid',
        country: 'ES',
        workingDays: [7],
        workStart: '00:00',
        workEnd: '24:00',
      });
      expect(allDay.workingTimeBetween(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'))).toBe(
        23 * HOUR,
      );
      expect(allDay.workingTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'))).toBe(
        25 * HOUR,
      );
    });
  });

  describe('isWorkingTime', () => {
    it('is true inside working hours, with the start included and the end excluded', () => {
      expect(madrid.isWorkingTime(at('2026-06-01T09:00:00+02:00'))).toBe(true);
      expect(madrid.isWorkingTime(at('2026-06-01T17:59:59+02:00'))).toBe(true);
      expect(madrid.isWorkingTime(at('2026-06-01T08:59:59+02:00'))).toBe(false);
      expect(madrid.isWorkingTime(at('2026-06-01T18:00:00+02:00'))).toBe(false);
    });

    it('is false on weekends and public holidays', () => {
      expect(madrid.isWorkingTime(at('2026-06-06T12:00:00+02:00'))).toBe(false);
      expect(madrid.isWorkingTime(at('2026-12-08T12:00:00+01:00'))).toBe(false);
    });

    it('follows the custom working week', () => {
      const dubai = new BusinessCalendar({ timeZone: 'Asia/Dubai', country: 'AE', workingDays: [7, 1, 2, 3, 4] });
      expect(dubai.isWorkingTime(at('2026-06-05T10:00:00+04:00'))).toBe(false);
      expect(dubai.isWorkingTime(at('2026-06-07T10:00:00+04:00'))).toBe(true);
    });
  });

  describe('workingStretchEnd', () => {
    it('is the end of the working hours an instant is in', () => {
      expect(madrid.workingStretchEnd(at('2026-06-01T09:00:00+02:00'))).toEqual(at('2026-06-01T18:00:00+02:00'));
      expect(madrid.workingStretchEnd(at('2026-06-01T17:59:59+02:00'))).toEqual(at('2026-06-01T18:00:00+02:00'));
    });

    it('is null outside working hours, on weekends and on public holidays', () => {
      expect(madrid.workingStretchEnd(at('2026-06-01T18:00:00+02:00'))).toBeNull();
      expect(madrid.workingStretchEnd(at('2026-06-01T08:59:59+02:00'))).toBeNull();
      expect(madrid.workingStretchEnd(at('2026-06-06T12:00:00+02:00'))).toBeNull();
      expect(madrid.workingStretchEnd(at('2026-12-08T12:00:00+01:00'))).toBeNull();
    });

    it('agrees with isWorkingTime', () => {
      for (let hour = 0; hour < 48; hour += 0.5) {
        const instant = new Date(at('2026-03-27T00:00:00+01:00').getTime() + hour * HOUR);
        expect(madrid.workingStretchEnd(instant) !== null).toBe(madrid.isWorkingTime(instant));
      }
    });
  });

  describe('isHoliday', () => {
    it("knows Spain's national public holidays and ignores observances", () => {
      expect(madrid.isHoliday('2026-01-06')).toBe(true);
      expect(madrid.isHoliday('2026-12-08')).toBe(true);
      expect(madrid.isHoliday('2026-04-03')).toBe(true);
      // San José is only regional; date-holidays lists it as an observance at national level.
      expect(madrid.isHoliday('2026-03-19')).toBe(false);
      expect(madrid.isHoliday('2026-12-09')).toBe(false);
    });

    it('counts every day of a multi-day public holiday', () => {
      const dubai = new BusinessCalendar({ timeZone: 'Asia/Dubai', country: 'AE', workingDays: [7, 1, 2, 3, 4] });
      expect(['2026-05-27', '2026-05-28', '2026-05-29', '2026-05-30'].map((day) => dubai.isHoliday(day))).toEqual([
        true,
        true,
        true,
        false,
      ]);
    });

    it('refuses a malformed or impossible date', () => {
      expect(() => madrid.isHoliday('2026-02-30')).toThrow(/Invalid local date/);
      expect(() => madrid.isHoliday('8/12/2026')).toThrow(/Invalid local date/);
    });

    it('asks date-holidays once per year however often it is consulted', () => {
      const getHolidays = jest.spyOn(Holidays.prototype, 'getHolidays');
      try {
        const calendar = new BusinessCalendar({ timeZone: 'Europe/Madrid', country: 'ES' });
        for (let i = 0; i < 20; i++) calendar.addWorkingTime(at('2026-06-01T10:00:00+02:00'), (i + 1) * 9 * HOUR);
        expect(getHolidays.mock.calls.map(([year]) => year).sort()).toEqual([2025, 2026]);
      } finally {
        getHolidays.mockRestore();
      }
    });
  });

  describe('constructor', () => {
    it('refuses an invalid time zone', () => {
      expect(() => new BusinessCalendar({ timeZone: 'Europe/Atlantis', country: 'ES' })).toThrow(/time zone/);
    });

    it('refuses an unknown country rather than silently having no holidays', () => {
      expect(() => new BusinessCalendar({ timeZone: 'Europe/Madrid', country: 'XX' })).toThrow(/country/);
    });

    it('refuses malformed working hours and an end not after the start', () => {
      const spec = { timeZone: 'Europe/Madrid', country: 'ES' };
      expect(() => new BusinessCalendar({ ...spec, workStart: '9:00' })).toThrow(/workStart/);
      expect(() => new BusinessCalendar({ ...spec, workStart: '24:00' })).toThrow(/workStart/);
      expect(() => new BusinessCalendar({ ...spec, workEnd: '18:60' })).toThrow(/workEnd/);
      expect(() => new BusinessCalendar({ ...spec, workStart: '18:00', workEnd: '09:00' })).toThrow(/after/);
      expect(() => new BusinessCalendar({ ...spec, workStart: '09:00', workEnd: '09:00' })).toThrow(/after/);
    });

    it('refuses a calendar without working days or with days outside 1 to 7', () => {
      const spec = { timeZone: 'Europe/Madrid', country: 'ES' };
      expect(() => new BusinessCalendar({ ...spec, workingDays: [] })).toThrow(/at least one working day/);
      expect(() => new BusinessCalendar({ ...spec, workingDays: [0, 1] })).toThrow(/working day 0/);
      expect(() => new BusinessCalendar({ ...spec, workingDays: [8] })).toThrow(/working day 8/);
    });
  });
});

describe(zonedTimeToInstant.name, () => {
  it('converts local wall-clock time to the instant under the offset in force that day', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 27, 15, 0)).toEqual(at('2026-03-27T15:00:00+01:00'));
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 30, 12, 0)).toEqual(at('2026-03-30T12:00:00+02:00'));
  });

  it('moves a time skipped by spring-forward past the gap', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 2, 30)).toEqual(at('2026-03-29T03:30:00+02:00'));
    expect(zonedTimeToInstant('America/New_York', 2026, 3, 8, 2, 30)).toEqual(at('2026-03-08T03:30:00-04:00'));
  });

  it('takes the first of the two instants of a time repeated by fall-back', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 10, 25, 2, 30)).toEqual(at('2026-10-25T02:30:00+02:00'));
    expect(zonedTimeToInstant('America/New_York', 2026, 11, 1, 1, 30)).toEqual(at('2026-11-01T01:30:00-04:00'));
  });
});
