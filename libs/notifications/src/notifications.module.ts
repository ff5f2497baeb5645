import { Module } from '@nestjs/common';
import { CaseNotifier } from './case-notifier';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Webhook notifications: {@link CaseNotifier} writes deliveries with a status change, {@link WebhookDeliverer}
 * sends them from the notifications queue. Needs only the global database and queues modules.
 */
@Module({
  providers: [WebhooksRepository, CaseNotifier, WebhookDeliverer],
  exports: [WebhooksRepository, CaseNotifier, WebhookDeliverer],
})
export class NotificationsModule {}

/** The HTTP side: customers register webhooks. */
@Module({ imports: [NotificationsModule], controllers: [WebhooksController], providers: [WebhooksService] })
export class NotificationsHttpModule {}
