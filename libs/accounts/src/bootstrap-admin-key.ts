import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { displayPrefix, hashApiKey } from './auth/api-key';
import { ApiKeysRepository } from './repositories/api-keys.repository';

/** Makes `SIGDESK_BOOTSTRAP_ADMIN_KEY` a working admin key from the first start on. */
@Injectable()
export class BootstrapAdminKey implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminKey.name);

  constructor(
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.bootstrapAdminKey;
    if (!key) return;
    await this.apiKeys.ensure({
      name: 'bootstrap admin',
      role: 'admin',
      keyHash: hashApiKey(key),
      keyPrefix: displayPrefix(key),
    });
    this.logger.log('bootstrap admin key is active');
  }
}
