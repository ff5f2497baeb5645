import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  AccountsHttpModule,
  AccountsModule,
  ApiKeyAuthenticator,
  AUTHENTICATORS,
  PrincipalGuard,
} from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import type { DB } from '@sigdesk/db';
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
import { LiveHttpModule } from '@sigdesk/live';
import { Kysely } from 'kysely';
import { PostgresRateLimitStore } from './rate-limits/postgres-rate-limit.store';
import { RATE_LIMIT_STORE, RateLimitStore } from './rate-limits/rate-limit.store';
import { RateLimiter } from './rate-limits/rate-limiter';
import { RedisRateLimitStore } from './rate-limits/redis-rate-limit.store';

/**
 * The HTTP API: every controller, behind the request admission (callers resolved and rate limited before the body)
 * and one guard (API keys and people's sessions alike), with one error shape.
 */
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
    LiveHttpModule,
    OpsModule,
  ],
  controllers: [OpsController],
  providers: [
    {
      provide: RATE_LIMIT_STORE,
      useFactory: (config: AppConfig, db: Kysely<DB>): RateLimitStore =>
        config.redis.url
          ? new RedisRateLimitStore(config.redis.url, config.redis.prefix)
          : new PostgresRateLimitStore(db, config.rateLimits.windowSeconds * 1000),
      inject: [AppConfig, Kysely],
    },
    RateLimiter,
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
