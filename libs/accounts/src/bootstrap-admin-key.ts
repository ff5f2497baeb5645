import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { AppConfig } from '@sigdesk/config';
import { AdvisoryLock, DB } from '@sigdesk/db';
import { displayPrefix, generateApiKey, hashApiKey } from './auth/api-key';
import { ApiKeysRepository } from './repositories/api-keys.repository';

/**
 * An installation always has a way in. `SIGDESK_BOOTSTRAP_ADMIN_KEY` is a working admin key from the first start on;
 * without it, the first start of an installation that has no admin key makes one, which the process shows once
 * (`firstAdminKey`) and of which only the hash is kept.
 */
@Injectable()
export class BootstrapAdminKey implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminKey.name);
  /** The admin key this start made, to be shown once; never stored. */
  firstAdminKey?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly apiKeys: ApiKeysRepository,
    @Inject(Kysely) private readonly db: Kysely<DB>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.bootstrapAdminKey;
    if (key) {
      await this.apiKeys.ensure({
        name: 'bootstrap admin',
        role: 'admin',
        keyHash: hashApiKey(key),
        keyPrefix: displayPrefix(key),
      });
      this.logger.log('bootstrap admin key is active');
      return;
    }
    this.firstAdminKey = await this.db.transaction().execute(async (tx) => {
      // processes starting together: one of them makes the key, the others find it made
      await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.FirstAdminKey})`.execute(tx);
      const existing = await tx
        .selectFrom('api_keys')
        .select('id')
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (existing) return undefined;
      const made = generateApiKey('admin');
      await tx
        .insertInto('api_keys')
        .values({ name: 'first admin', role: 'admin', key_hash: hashApiKey(made), key_prefix: displayPrefix(made) })
        .execute();
      return made;
    });
    if (this.firstAdminKey) {
      this.logger.log(`an admin key was made (${displayPrefix(this.firstAdminKey)}…); it is shown once, at start`);
    }
  }
}
