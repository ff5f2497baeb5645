import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { openApiSchema, pageLimit, parseInput, uuidParam } from '@sigdesk/http';
import { RulePacksService } from './rule-packs.service';

const acceptSchema = z.strictObject({
  /** every rule of the files that compile, or all but the flagged ones (made private: no detection of their own) */
  rules: z.enum(['all', 'unflagged']),
});

const listSchema = z.strictObject({ limit: pageLimit(50) });

/**
 * Rule pack imports (the upload itself is `POST /v1/admin/rulesets/import`, with the other uploads): their quality
 * reports, and accepting one as a signature change.
 */
@ApiTags('administration')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/rulesets/imports')
export class RulePacksController {
  constructor(private readonly packs: RulePacksService) {}

  @Get()
  list(@Query() query: unknown) {
    return this.packs.list(parseInput(listSchema, query, 'query').limit);
  }

  /** The import, its analysis's progress, and once analysed its report: per file, and per rule of each file. */
  @Get(':id')
  get(@Param('id') id: string) {
    return this.packs.get(parseInput(uuidParam, id, 'import id'));
  }

  /** Makes the analysed pack one signature change (validated, then approved by an analyst like any other). */
  @Post(':id/accept')
  @HttpCode(202)
  @ApiBody({ schema: openApiSchema(acceptSchema) })
  accept(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.packs.accept(principal, parseInput(uuidParam, id, 'import id'), parseInput(acceptSchema, body).rules);
  }
}
