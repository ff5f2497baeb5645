import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, parseInput, uuidParam, withinPageSize } from '@sigdesk/http';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { createdOrganizationApiKeySchema, organizationApiKeyPageSchema } from './organization-api-key.schema';
import { createOrganizationApiKeySchema, listOrganizationApiKeysQuerySchema } from './organization-api-keys.schemas';
import { OrganizationApiKeysService } from './organization-api-keys.service';

/** A customer organisation's admins, in their session: the organisation's API keys for automation. */
@ApiTags('organizations')
@Roles('customer')
@Controller('v1/organizations/current/api-keys')
export class OrganizationApiKeysController {
  constructor(
    private readonly apiKeys: OrganizationApiKeysService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ schema: openApiSchema(organizationApiKeyPageSchema) })
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const page = parseInput(listOrganizationApiKeysQuerySchema, query, 'query');
    return this.apiKeys.list(principal, withinPageSize(page, this.config.limits.pageSize));
  }

  @Post()
  @ApiBody({ schema: openApiSchema(createOrganizationApiKeySchema) })
  @ApiCreatedResponse({ schema: openApiSchema(createdOrganizationApiKeySchema) })
  create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.apiKeys.create(principal, parseInput(createOrganizationApiKeySchema, body));
  }

  /** The key stops working at once; `204` also when it was revoked already. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.apiKeys.revoke(principal, parseInput(uuidParam, id, 'api key id'));
  }
}
