import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccountsHttpModule, AccountsModule, ApiKeyGuard } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import type { DB } from '@sigdesk/db';
import { HttpErrorFilter } from '@sigdesk/http';
import { IntakeHttpModule } from '@sigdesk/intake';
import { OpsController, OpsModule } from '@sigdesk/ops';
import { NotificationsHttpModule } from '@sigdesk/notifications';
import { ReleasesHttpModule } from '@sigdesk/releases';
import { ReviewHttpModule } from '@sigdesk/review';
import { SignaturesHttpModule } from '@sigdesk/signatures';
import { BuildsHttpModule } from '@sigdesk/builds';
import { Kysely } from 'kysely';
import { PostgresRateLimitStore } from './rate-limits/postgres-rate-limit.store';
import { RATE_LIMIT_STORE, RateLimitStore } from './rate-limits/rate-limit.store';
import { RateLimiter } from './rate-limits/rate-limiter';
import { RedisRateLimitStore } from './rate-limits/redis-rate-limit.store';

/** The HTTP API: every controller, behind the guard and the rate limits, with one error shape. */
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
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class ApiModule {}
