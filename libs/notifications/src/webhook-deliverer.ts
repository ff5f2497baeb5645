import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sigdesk/config';
import { WebhookDestinations } from './webhook-destinations';
import { postWebhook, WebhookResponse } from './webhook-request';
import { WebhooksRepository } from './webhooks.repository';

/** A lease outlives its attempt by this much: recording the outcome, a slow database. */
const LEASE_MARGIN_MS = 5_000;
/**
 * While its organisation has every slot in flight, a delivery waits 1 to 3 s (at random) before it looks again, half
 * as long again each time it is postponed, up to 15 s: an organisation with many deliveries waiting on a receiver
 * that never answers costs the worker a few looks per second, not hundreds.
 */
export function postponementMs(postponedBefore: number, random = Math.random): number {
  const first = 1_000 + random() * 2_000;
  return Math.round(Math.min(first * 1.5 ** Math.min(postponedBefore, 10), 15_000));
}

export interface DeliveryAttempt {
  delivered: boolean;
  /**
   * Set when no attempt was made because the organisation already has its share of deliveries in flight: the job
   * should come back after this many milliseconds, without counting as an attempt, and give its worker slot to
   * other organisations' deliveries meanwhile.
   */
  postponeMs?: number;
}

/** Sends one recorded delivery, signed; throws to let BullMQ retry with backoff. */
@Injectable()
export class WebhookDeliverer {
  private readonly logger = new Logger(WebhookDeliverer.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly destinations: WebhookDestinations,
    private readonly config: AppConfig,
  ) {}

  /**
   * One attempt. Idempotent: a delivery already delivered (or given up) is not sent again, and a success is
   * written to PostgreSQL right after the 2xx, so a job that runs twice sends once unless it dies in between.
   * `isFinalAttempt`: the job has no retry left, so a failure now marks the delivery failed. `postponedBefore`: how
   * often the job was postponed already (see {@link DeliveryAttempt.postponeMs}).
   *
   * The receiver's host is resolved and checked again (DNS may have changed since registration) and the request goes
   * to the addresses checked; a destination now refused fails the delivery for good, without a connection.
   */
  async deliver(deliveryId: string, isFinalAttempt = false, postponedBefore = 0): Promise<DeliveryAttempt> {
    const delivery = await this.webhooks.findToSend(deliveryId);
    // deleted with its case or webhook: nothing will ever make this job succeed
    if (!delivery) throw new UnrecoverableError(`webhook delivery ${deliveryId} does not exist`);
    if (delivery.status !== 'pending') return { delivered: false };
    if (delivery.webhookDisabledAt) {
      await this.webhooks.markDisabled(deliveryId);
      this.logger.log({ deliveryId }, 'webhook delivery skipped: its webhook is disabled');
      return { delivered: false };
    }

    const { timeoutMs, connectTimeoutMs, organizationConcurrency } = this.config.webhooks;
    const startedAt = new Date();
    const claim = await this.webhooks.claimAttempt(
      deliveryId,
      delivery.organizationId,
      organizationConcurrency,
      timeoutMs + LEASE_MARGIN_MS,
      startedAt,
    );
    if (claim === 'not_pending') return { delivered: false };
    if (claim === 'busy') return { delivered: false, postponeMs: postponementMs(postponedBefore) };

    const deadline = startedAt.getTime() + timeoutMs;
    const destination = await this.destinations.resolve(new URL(delivery.url), deadline);
    const context = { deliveryId, webhookId: delivery.webhookId, organizationId: delivery.organizationId };
    if (destination.outcome === 'refused') {
      await this.webhooks.recordOutcome(
        deliveryId,
        { result: 'refused_destination', statusCode: null, giveUp: true },
        new Date(),
      );
      this.logger.warn({ ...context, detail: destination.detail }, 'webhook delivery refused: forbidden destination');
      throw new UnrecoverableError(`webhook delivery ${deliveryId} refused: ${destination.detail}`);
    }

    const response: WebhookResponse =
      destination.outcome === 'unresolvable'
        ? { result: 'unreachable', statusCode: null, detail: destination.detail }
        : await postWebhook(
            {
              url: delivery.url,
              secret: delivery.secret,
              deliveryId,
              eventType: delivery.eventType,
              body: JSON.stringify(delivery.payload),
              now: startedAt,
            },
            destination.addresses,
            { connectTimeoutMs, deadline },
          );
    await this.webhooks.recordOutcome(
      deliveryId,
      { result: response.result, statusCode: response.statusCode, giveUp: isFinalAttempt },
      new Date(),
    );
    const logged = { ...context, statusCode: response.statusCode, ms: Date.now() - startedAt.getTime() };
    if (response.result === 'delivered') {
      this.logger.log(logged, 'webhook delivered');
      return { delivered: true };
    }
    // a failure that will be retried is logged with the job's failure, which carries the detail
    if (isFinalAttempt) {
      this.logger.warn({ ...logged, result: response.result, detail: response.detail }, 'webhook delivery given up');
    }
    throw new Error(`webhook delivery ${deliveryId} failed: ${response.detail}`);
  }
}
