import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { parseInput, uuidParam, withinPageSize } from '@sigdesk/http';
import { listUsersQuerySchema } from '../people.schemas';
import { UsersService } from './users.service';

@ApiTags('people')
@Controller('v1')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  @Get('admin/users')
  @Roles('admin')
  @ApiQuery({ name: 'cursor', required: false })
  listAll(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    return this.users.list(principal, this.page(query));
  }

  @Delete('admin/users/:id')
  @Roles('admin')
  @HttpCode(204)
  async disable(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.users.disable(principal, parseInput(uuidParam, id, 'user id'));
  }

  /** An organisation's admin: the people of their organisation. */
  @Get('organizations/current/users')
  @Roles('customer')
  @ApiQuery({ name: 'cursor', required: false })
  listOrganization(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    return this.users.list(principal, this.page(query));
  }

  @Delete('organizations/current/users/:id')
  @Roles('customer')
  @HttpCode(204)
  async disableInOrganization(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.users.disable(principal, parseInput(uuidParam, id, 'user id'));
  }

  private page(query: unknown) {
    return withinPageSize(parseInput(listUsersQuerySchema, query, 'query'), this.config.limits.pageSize);
  }
}
