import type { Webhook } from './webhooks.repository';

export const WEBHOOK_TEST = 'webhook.test';

/** The body of a `webhook.test` delivery: which webhook it tries, and no case. */
export function webhookTestPayload(deliveryId: string, webhook: Webhook, at: Date): Record<string, unknown> {
  return {
    id: deliveryId,
    type: WEBHOOK_TEST,
    occurredAt: at.toISOString(),
    webhook: { id: webhook.id, url: webhook.url },
  };
}
