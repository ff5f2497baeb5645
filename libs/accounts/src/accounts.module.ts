import { Module } from '@nestjs/common';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AUTHENTICATORS, Authenticator, RequestAuthentication } from './auth/authenticator';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { OrganizationsRepository } from './repositories/organizations.repository';

/**
 * Organisations, contracts and API keys; the authentication that turns credentials into a {@link Principal} and
 * the guard that applies roles.
 */
@Module({
  providers: [
    ApiKeysRepository,
    OrganizationsRepository,
    ApiKeyAuthenticator,
    // each kind of credentials is one authenticator, tried in this order
    {
      provide: AUTHENTICATORS,
      useFactory: (apiKeys: ApiKeyAuthenticator): Authenticator[] => [apiKeys],
      inject: [ApiKeyAuthenticator],
    },
    RequestAuthentication,
    ApiKeyGuard,
    BootstrapAdminKey,
  ],
  exports: [ApiKeysRepository, OrganizationsRepository, RequestAuthentication, ApiKeyGuard],
})
export class AccountsModule {}

/** The HTTP side of accounts: only the API process mounts it. */
@Module({ imports: [AccountsModule], controllers: [AdminController], providers: [AdminService] })
export class AccountsHttpModule {}
