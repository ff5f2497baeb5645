import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { pageLimit, parseInput, wholeNumberText, withinPageSize } from '@sigdesk/http';
import { BuildsService } from './builds.service';

const channel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
  .optional();
const listSchema = z.strictObject({
  channel,
  cursor: z.string().max(20).optional(),
  limit: pageLimit(50),
});
const versionSchema = wholeNumberText();

@ApiTags('database builds')
@ApiBearerAuth()
@Roles('release', 'admin')
@Controller('v1/database-builds')
export class BuildsController {
  constructor(
    private readonly builds: BuildsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  list(@Query() query: unknown) {
    const {
      channel: name,
      cursor,
      limit,
    } = withinPageSize(parseInput(listSchema, query, 'query'), this.config.limits.pageSize);
    return this.builds.list(name, cursor, limit);
  }

  @Get('signing-key')
  @Roles('release', 'admin', 'analyst', 'customer')
  signingKey() {
    return this.builds.signingKey();
  }

  @Get(':version')
  @ApiQuery({ name: 'channel', required: false })
  get(@Param('version') version: string, @Query('channel') name?: string) {
    return this.builds.get(parseInput(channel, name, 'channel'), parseInput(versionSchema, version, 'version'));
  }

  @Post(':version/publish')
  @Roles('release')
  @HttpCode(200)
  @ApiQuery({ name: 'channel', required: false })
  publish(@Param('version') version: string, @Query('channel') name?: string) {
    return this.builds.publish(parseInput(channel, name, 'channel'), parseInput(versionSchema, version, 'version'));
  }
}
