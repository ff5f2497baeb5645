import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { openApiSchema } from '@sigdesk/http';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { currentOrganizationSchema } from './current-organization.schema';
import { OrganizationsService } from './organizations.service';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('current')
  @Roles('customer')
  @ApiOkResponse({ schema: openApiSchema(currentOrganizationSchema) })
  current(@CurrentPrincipal() principal: Principal) {
    return this.organizations.current(principal);
  }
}
