import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Principal } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import type { createWebhookSchema, listDeliveriesQuerySchema } from './webhooks.schemas';
import { DeliveryPageRow, Webhook, WebhooksRepository } from './webhooks.repository';

function webhookView(webhook: Webhook) {
  return { id: webhook.id, url: webhook.url, createdAt: webhook.created_at.toISOString() };
}

function deliveryView(delivery: DeliveryPageRow) {
  return {
    id: delivery.id,
    eventType: delivery.event_type,
    caseId: delivery.case_id,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.last_status_code,
    lastError: delivery.last_error,
    createdAt: delivery.created_at.toISOString(),
    lastAttemptAt: delivery.last_attempt_at?.toISOString() ?? null,
    deliveredAt: delivery.delivered_at?.toISOString() ?? null,
  };
}

/** Customers' webhooks: registered, listed and disabled within their organisation only. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly config: AppConfig,
  ) {}

  /** The secret is returned here and never again: the receiver needs it to verify signatures. */
  async create(principal: Principal, input: z.output<typeof createWebhookSchema>) {
    // active webhooks an organisation may have: each status change is sent to every one of them
    const limit = this.config.limits.webhooksPerOrganization;
    const created = await this.webhooks.insertWithinLimit(limit, {
      organizationId: organizationOf(principal),
      url: input.url,
      // used as the HMAC key, so it is kept as it is (a hash could not sign)
      secret: randomBytes(32).toString('base64url'),
      createdBy: principal.keyId,
    });
    if (!created) {
      throw AppError.unprocessable(
        'too_many_webhooks',
        `Your organization already has ${limit} active webhooks. Delete one before adding another.`,
        { limit },
      );
    }
    return { ...webhookView(created), secret: created.secret };
  }

  async list(principal: Principal) {
    return { items: (await this.webhooks.listActive(organizationOf(principal))).map(webhookView) };
  }

  async disable(principal: Principal, id: string): Promise<void> {
    if (!(await this.webhooks.disable(organizationOf(principal), id, new Date()))) {
      throw AppError.notFound('This webhook');
    }
  }

  async deliveries(principal: Principal, webhookId: string, query: z.output<typeof listDeliveriesQuerySchema>) {
    const webhook = await this.webhooks.findOwned(organizationOf(principal), webhookId);
    if (!webhook) throw AppError.notFound('This webhook');
    const rows = await this.webhooks.listDeliveries(
      webhook.id,
      query.cursor ? decodeCursor(query.cursor) : undefined,
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(deliveryView),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
    };
  }
}

function organizationOf(principal: Principal): string {
  // the controller admits customer keys only, and every customer key belongs to an organisation
  if (!principal.organizationId) throw AppError.forbidden('Webhooks belong to an organization; use a customer key.');
  return principal.organizationId;
}
