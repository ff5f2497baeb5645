import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '@sigdesk/accounts';
import { openApiSchema, parseInput, wholeNumber } from '@sigdesk/http';
import { ReleasesService } from './releases.service';

const channelSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a channel name such as "default"');

const registerReleaseSchema = z.strictObject({
  channel: channelSchema.optional(),
  // below the integer column's limit, so that builds can still take the versions after it
  version: wholeNumber({ max: 2_000_000_000 }),
  releasedAt: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
});

@ApiTags('database releases')
@ApiBearerAuth()
@Controller('v1')
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Get('databases/current')
  @ApiQuery({ name: 'channel', required: false })
  current(@Query('channel') channel?: string) {
    return this.releases.current(channel === undefined ? undefined : parseInput(channelSchema, channel, 'channel'));
  }

  @Post('admin/database-releases')
  @Roles('admin')
  @ApiBody({ schema: openApiSchema(registerReleaseSchema) })
  register(@Body() body: unknown) {
    return this.releases.registerBaseline(parseInput(registerReleaseSchema, body));
  }
}
