import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  AccountsHttpModule,
  AccountsModule,
  ApiKeyAuthenticator,
  AUTHENTICATORS,
  PrincipalGuard,
} from '@sigdesk/accounts';
import { HttpErrorFilter } from '@sigdesk/http';
import { IntakeHttpModule } from '@sigdesk/intake';
import { OpsController, OpsModule } from '@sigdesk/ops';
import { NotificationsHttpModule } from '@sigdesk/notifications';
import { PeopleHttpModule, PeopleModule, SessionAuthenticator } from '@sigdesk/people';
import { ReleasesHttpModule } from '@sigdesk/releases';
import { ReviewHttpModule } from '@sigdesk/review';
import { SignaturesHttpModule } from '@sigdesk/signatures';
import { BuildsHttpModule } from '@sigdesk/builds';
import { DashboardHttpModule } from '@sigdesk/dashboard';

/** The HTTP API: every controller, behind one guard (API keys and people's sessions alike), with one error shape. */
@Module({
  imports: [
    AccountsModule,
    AccountsHttpModule,
    PeopleModule,
    PeopleHttpModule,
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
    // an API key first: a request with an Authorization header is never cookie-authenticated
    {
      provide: AUTHENTICATORS,
      useFactory: (keys: ApiKeyAuthenticator, sessions: SessionAuthenticator) => [keys, sessions],
      inject: [ApiKeyAuthenticator, SessionAuthenticator],
    },
    { provide: APP_GUARD, useClass: PrincipalGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class ApiModule {}
