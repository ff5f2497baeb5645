import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, parseInput, uuidParam, withinPageSize } from '@sigdesk/http';
import { createWebhookSchema, listDeliveriesQuerySchema } from './webhooks.schemas';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@Roles('customer')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiBody({ schema: openApiSchema(createWebhookSchema) })
  create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.webhooks.create(principal, parseInput(createWebhookSchema, body));
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return this.webhooks.list(principal);
  }

  @Delete(':id')
  @HttpCode(204)
  async disable(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.disable(principal, parseInput(uuidParam, id, 'webhook id'));
  }

  /** A `webhook.test` event to this webhook, delivered like the others: `202` with the delivery to follow. */
  @Post(':id/test')
  @HttpCode(202)
  sendTest(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.webhooks.sendTest(principal, parseInput(uuidParam, id, 'webhook id'));
  }

  @Get(':id/deliveries')
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: unknown) {
    return this.webhooks.deliveries(
      principal,
      parseInput(uuidParam, id, 'webhook id'),
      withinPageSize(parseInput(listDeliveriesQuerySchema, query, 'query'), this.config.limits.pageSize),
    );
  }
}
