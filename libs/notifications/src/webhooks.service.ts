import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Principal } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { WebhookDestinations } from './webhook-destinations';
import type { createWebhookSchema, listDeliveriesQuerySchema } from './webhooks.schemas';
import { JobName, jobIdFor, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import { WEBHOOK_TEST, webhookTestPayload } from './webhook-test-event';
import { Webhook, WebhookDelivery, WebhooksRepository } from './webhooks.repository';

function webhookView(webhook: Webhook) {
  return { id: webhook.id, url: webhook.url, createdAt: webhook.created_at.toISOString() };
}

function deliveryView(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    eventType: delivery.event_type,
    caseId: delivery.case_id,
    status: delivery.status,
    attempts: delivery.attempts,
    /** delivered, receiver_error (with lastStatusCode), unreachable, refused_destination or webhook_disabled */
    lastResult: delivery.last_result,
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
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly destinations: WebhookDestinations,
    private readonly config: AppConfig,
    private readonly unitOfWork: UnitOfWork,
    private readonly outbox: OutboxRepository,
  ) {}

  /**
   * The secret is returned here and never again: the receiver needs it to verify signatures. The host must resolve to
   * addresses webhooks may be sent to (see {@link WebhookDestinations}); a name that does not resolve is refused with
   * the same answer as one that resolves to a private address, so that registering is no way to probe internal names.
   */
  async create(principal: Principal, input: z.output<typeof createWebhookSchema>) {
    const url = new URL(input.url);
    const destination = await this.destinations.resolve(url, Date.now() + this.config.webhooks.connectTimeoutMs);
    if (destination.outcome !== 'allowed') {
      this.logger.log(
        { organizationId: principal.organizationId, outcome: destination.outcome, detail: destination.detail },
        'webhook registration refused: its destination',
      );
      throw AppError.unprocessable(
        'webhook_destination_refused',
        `Webhooks are sent to public internet addresses only, and ${url.hostname} does not resolve to public ` +
          'addresses only (it does not resolve, or it resolves to a loopback, private, link-local, cloud metadata or ' +
          'otherwise reserved address).',
      );
    }
    // active webhooks an organisation may have: each status change is sent to every one of them
    const limit = this.config.limits.webhooksPerOrganization;
    const created = await this.webhooks.insertWithinLimit(limit, {
      organizationId: organizationOf(principal),
      url: input.url,
      // used as the HMAC key, so it is kept as it is (a hash could not sign)
      secret: randomBytes(32).toString('base64url'),
      createdBy: principal.actorId,
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

  /**
   * A `webhook.test` delivery to one active webhook, sent like any other (signed, retried, listed with its
   * deliveries), so that a receiver and its signature check can be tried before a case changes. One at a time per
   * webhook: another is refused while the last is still to be sent, so that the action cannot flood a receiver.
   */
  async sendTest(principal: Principal, id: string, now = new Date()) {
    const organizationId = organizationOf(principal);
    return this.unitOfWork.run(async (trx) => {
      const webhook = await this.webhooks.lockActive(trx, organizationId, id);
      if (!webhook) throw AppError.notFound('This webhook');
      if (await this.webhooks.hasPending(trx, webhook.id, WEBHOOK_TEST)) {
        throw AppError.conflict(
          'test_delivery_pending',
          'A test event for this webhook is still to be delivered. Wait for its result before sending another.',
        );
      }
      const deliveryId = randomUUID();
      await this.webhooks.insertDeliveries(trx, [
        {
          id: deliveryId,
          webhookId: webhook.id,
          caseId: null,
          eventType: WEBHOOK_TEST,
          payload: webhookTestPayload(deliveryId, webhook, now),
        },
      ]);
      await this.outbox.add(trx, JobName.DeliverWebhook, { deliveryId }, jobIdFor(JobName.DeliverWebhook, deliveryId));
      return deliveryView(await this.webhooks.findDelivery(trx, deliveryId));
    });
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
