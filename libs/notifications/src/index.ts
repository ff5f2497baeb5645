export * from './case-notifier';
export * from './notifications.module';
export * from './webhook-address-policy';
export * from './webhook-deliverer';
export * from './webhook-signature';
export * from './webhook-url';
export * from './webhooks.repository';
