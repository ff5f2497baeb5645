import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { AppConfig } from '@sigdesk/config';
import { createDatabase } from './database';
import { DatabaseProbe } from './database-probe';
import type { DB } from './schema';

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Kysely,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        // the process resolves the URL (given, or its embedded server's) before any module starts
        if (!config.database.url) throw new Error('no PostgreSQL URL: start sigdesk through startSigdesk');
        const logger = new Logger('Database');
        return createDatabase(config.database.url, undefined, (error) =>
          logger.warn(`PostgreSQL connection lost (${error.message}); the pool opens a new one when needed`),
        );
      },
    },
    DatabaseLifecycle,
    DatabaseProbe,
  ],
  exports: [Kysely, DatabaseProbe],
})
export class DatabaseModule {}
