import { Module } from '@nestjs/common';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { OrganizationApiKeysController } from './api-keys/organization-api-keys.controller';
import { OrganizationApiKeysService } from './api-keys/organization-api-keys.service';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator';
import { BootstrapAdminKey } from './bootstrap-admin-key';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsService } from './organizations/organizations.service';
import { OrganizationsRepository } from './repositories/organizations.repository';

/** Organisations, contracts and API keys; the authenticator that turns a key into a {@link Principal}. */
@Module({
  providers: [ApiKeysRepository, OrganizationsRepository, ApiKeyAuthenticator, BootstrapAdminKey],
  exports: [ApiKeysRepository, OrganizationsRepository, ApiKeyAuthenticator],
})
export class AccountsModule {}

/** The HTTP side of accounts: only the API process mounts it. */
@Module({
  imports: [AccountsModule],
  controllers: [AdminController, OrganizationsController, OrganizationApiKeysController],
  providers: [AdminService, OrganizationsService, OrganizationApiKeysService],
})
export class AccountsHttpModule {}
