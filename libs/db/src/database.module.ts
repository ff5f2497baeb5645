import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { AppConfig } from '@sigdesk/config';
import { createDatabase, DEFAULT_DATABASE_URL } from './database';
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
      useFactory: (config: AppConfig) => createDatabase(config.database.url ?? DEFAULT_DATABASE_URL),
    },
    DatabaseLifecycle,
    DatabaseProbe,
  ],
  exports: [Kysely, DatabaseProbe],
})
export class DatabaseModule {}
