import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, pageLimit, parseInput, wholeNumberText, withinPageSize } from '@sigdesk/http';
import { buildDetailSchema, buildListSchema, publishedBuildSchema } from './build-view.schema';
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
  @ApiOkResponse({ schema: openApiSchema(buildListSchema) })
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
  @ApiOkResponse({ schema: openApiSchema(buildDetailSchema) })
  @ApiQuery({ name: 'channel', required: false })
  get(@Param('version') version: string, @Query('channel') name?: string) {
    return this.builds.get(parseInput(channel, name, 'channel'), parseInput(versionSchema, version, 'version'));
  }

  @Post(':version/publish')
  @Roles('release')
  @HttpCode(200)
  @ApiOkResponse({ schema: openApiSchema(publishedBuildSchema) })
  @ApiQuery({ name: 'channel', required: false })
  publish(@Param('version') version: string, @Query('channel') name?: string) {
    return this.builds.publish(parseInput(channel, name, 'channel'), parseInput(versionSchema, version, 'version'));
  }
}
