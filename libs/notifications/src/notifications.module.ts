import { Module } from '@nestjs/common';
import { CaseNotifier } from './case-notifier';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookDestinations } from './webhook-destinations';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Webhook notifications: {@link CaseNotifier} writes deliveries with a status change, {@link WebhookDeliverer}
 * sends them from the notifications queue. Needs only the global database and queues modules.
 */
@Module({
  providers: [WebhooksRepository, WebhookDestinations, CaseNotifier, WebhookDeliverer],
  exports: [WebhooksRepository, WebhookDestinations, CaseNotifier, WebhookDeliverer],
})
export class NotificationsModule {}

/** The HTTP side: customers register webhooks. */
@Module({ imports: [NotificationsModule], controllers: [WebhooksController], providers: [WebhooksService] })
export class NotificationsHttpModule {}
