import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { openApiSchema, parseInput, uuidParam } from '@sigdesk/http';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { createApiKeySchema, createContractSchema, createOrganizationSchema } from './admin.schemas';
import { AdminService } from './admin.service';

@ApiTags('administration')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('organizations')
  @ApiBody({ schema: openApiSchema(createOrganizationSchema) })
  createOrganization(@Body() body: unknown) {
    return this.admin.createOrganization(parseInput(createOrganizationSchema, body));
  }

  @Post('organizations/:id/contracts')
  @ApiBody({ schema: openApiSchema(createContractSchema) })
  createContract(@Param('id') id: string, @Body() body: unknown) {
    return this.admin.createContract(
      parseInput(uuidParam, id, 'organization id'),
      parseInput(createContractSchema, body),
    );
  }

  @Get('organizations/:id/contracts')
  listContracts(@Param('id') id: string) {
    return this.admin.listContracts(parseInput(uuidParam, id, 'organization id'));
  }

  @Post('api-keys')
  @ApiBody({ schema: openApiSchema(createApiKeySchema) })
  createApiKey(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.admin.createApiKey(principal, parseInput(createApiKeySchema, body));
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  async revokeApiKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.admin.revokeApiKey(principal, parseInput(uuidParam, id, 'api key id'));
  }
}
