import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '@sigdesk/accounts';
import { openApiSchema, parseInput, wholeNumberText } from '@sigdesk/http';
import { dashboardOverviewSchema, type DashboardOverview } from './dashboard-overview.schema';
import { DashboardService } from './dashboard.service';

const timeZone = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, 'must be an IANA time zone such as "Europe/Madrid"')
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as "Europe/Madrid"');

const dashboardQuerySchema = z.strictObject({
  days: wholeNumberText({ min: 1, max: 90 }).default(30),
  timeZone: timeZone.default('UTC'),
});

@ApiTags('dashboard')
@ApiBearerAuth()
@Controller('v1')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  /** The queue's depth, response clocks met and breached, fix times and builds: for the vendor's staff. */
  @Get('dashboard')
  @Roles('analyst', 'release', 'admin')
  @ApiOkResponse({ schema: openApiSchema(dashboardOverviewSchema) })
  overview(@Query() query: unknown): Promise<DashboardOverview> {
    return this.dashboard.overview(parseInput(dashboardQuerySchema, query, 'query'));
  }
}
