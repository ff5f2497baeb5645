import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { postWebhook } from './webhook-request';
import { WebhooksRepository } from './webhooks.repository';

export const WEBHOOK_DISABLED = 'webhook disabled';

/** Sends one recorded delivery, signed; throws to let BullMQ retry with backoff. */
@Injectable()
export class WebhookDeliverer {
  private readonly logger = new Logger(WebhookDeliverer.name);

  constructor(private readonly webhooks: WebhooksRepository) {}

  /**
   * One attempt. Idempotent: a delivery already delivered (or given up) is not sent again, and a success is
   * written to PostgreSQL right after the 2xx, so a job that runs twice sends once unless it dies in between.
   * `isFinalAttempt`: the job has no retry left, so a failure now marks the delivery failed.
   */
  async deliver(deliveryId: string, isFinalAttempt = false): Promise<{ delivered: boolean }> {
    const delivery = await this.webhooks.findToSend(deliveryId);
    // deleted with its case or webhook: nothing will ever make this job succeed
    if (!delivery) throw new UnrecoverableError(`webhook delivery ${deliveryId} does not exist`);
    if (delivery.status !== 'pending') return { delivered: false };
    if (delivery.webhookDisabledAt) {
      await this.webhooks.markFailed(deliveryId, WEBHOOK_DISABLED);
      this.logger.log({ deliveryId }, 'webhook delivery skipped: its webhook is disabled');
      return { delivered: false };
    }

    const startedAt = new Date();
    if (!(await this.webhooks.startAttempt(deliveryId, startedAt))) return { delivered: false };
    const response = await postWebhook({
      url: delivery.url,
      secret: delivery.secret,
      deliveryId,
      eventType: delivery.eventType,
      body: JSON.stringify(delivery.payload),
      now: startedAt,
    });
    await this.webhooks.recordOutcome(
      deliveryId,
      { delivered: response.ok, statusCode: response.statusCode, error: response.error, giveUp: isFinalAttempt },
      new Date(),
    );
    const context = { deliveryId, statusCode: response.statusCode, ms: Date.now() - startedAt.getTime() };
    if (response.ok) {
      this.logger.log(context, 'webhook delivered');
      return { delivered: true };
    }
    if (isFinalAttempt) this.logger.warn({ ...context, error: response.error }, 'webhook delivery given up');
    throw new Error(`webhook delivery ${deliveryId} failed: ${response.error}`);
  }
}
