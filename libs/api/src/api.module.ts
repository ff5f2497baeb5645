import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccountsHttpModule, AccountsModule, ApiKeyGuard } from '@sigdesk/accounts';
import { HttpErrorFilter } from '@sigdesk/http';
import { IntakeHttpModule } from '@sigdesk/intake';
import { OpsController, OpsModule } from '@sigdesk/ops';
import { NotificationsHttpModule } from '@sigdesk/notifications';
import { ReleasesHttpModule } from '@sigdesk/releases';
import { ReviewHttpModule } from '@sigdesk/review';
import { SignaturesHttpModule } from '@sigdesk/signatures';
import { BuildsHttpModule } from '@sigdesk/builds';
import { DashboardHttpModule } from '@sigdesk/dashboard';

/** The HTTP API: every controller, behind the API-key guard, with one error shape. */
@Module({
  imports: [
    AccountsModule,
    AccountsHttpModule,
    ReleasesHttpModule,
    IntakeHttpModule,
    ReviewHttpModule,
    NotificationsHttpModule,
    SignaturesHttpModule,
    BuildsHttpModule,
    DashboardHttpModule,
    OpsModule,
  ],
  controllers: [OpsController],
  providers: [
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class ApiModule {}
