import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { pingDatabase } from './database';
import type { DB } from './schema';

/** Whether PostgreSQL answers, for the readiness check. */
@Injectable()
export class DatabaseProbe {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  ping(): Promise<void> {
    return pingDatabase(this.db);
  }
}
