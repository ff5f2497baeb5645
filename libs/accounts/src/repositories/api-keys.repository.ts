import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { ApiKey, DB, Role } from '@sigdesk/db';

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  findActiveByHash(keyHash: string): Promise<ApiKey | undefined> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  async create(input: {
    name: string;
    role: Role;
    organizationId: string | null;
    keyHash: string;
    keyPrefix: string;
  }): Promise<ApiKey> {
    return this.db
      .insertInto('api_keys')
      .values({
        name: input.name,
        role: input.role,
        organization_id: input.organizationId,
        key_hash: input.keyHash,
        key_prefix: input.keyPrefix,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Idempotent: the bootstrap key exists once however many processes start. */
  async ensure(input: { name: string; role: Role; keyHash: string; keyPrefix: string }): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ name: input.name, role: input.role, key_hash: input.keyHash, key_prefix: input.keyPrefix })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .execute();
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
