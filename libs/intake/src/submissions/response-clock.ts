import { Injectable } from '@nestjs/common';
import { BusinessCalendar, responseTargetHours, Severity } from '@sigdesk/calendar';
import { AppConfig } from '@sigdesk/config';
import type { ContractTier, Organization } from '@sigdesk/db';

/** When the qualified response to a new case is due, in the customer's working hours. */
@Injectable()
export class ResponseClock {
  private readonly calendars = new Map<string, BusinessCalendar>();

  constructor(private readonly config: AppConfig) {}

  responseDueAt(organization: Organization, tier: ContractTier, severity: number, from: Date): Date {
    const hours = responseTargetHours(this.config.responseTargets, tier, severity as Severity);
    return this.calendarOf(organization).addWorkingTime(from, hours * 3_600_000);
  }

  private calendarOf(organization: Organization): BusinessCalendar {
    const key = `${organization.timezone}|${organization.country}`;
    let calendar = this.calendars.get(key);
    if (!calendar) {
      calendar = new BusinessCalendar({ timeZone: organization.timezone, country: organization.country });
      this.calendars.set(key, calendar);
    }
    return calendar;
  }
}
