import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { ApiKey, DB, Role } from '@sigdesk/db';

/** Who made or revoked a key: an actor id, and a person's display name at the time (none for an API key). */
export interface KeyActor {
  actorId: string;
  name: string | null;
}

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
    createdBy: KeyActor;
  }): Promise<ApiKey> {
    return this.db.insertInto('api_keys').values(this.newKey(input)).returningAll().executeTakeFirstOrThrow();
  }

  /**
   * A customer key of `organizationId`, unless the organisation holds `limit` unrevoked keys already (null then).
   * The organisation's row is locked for the count, so two requests at once cannot both pass it.
   */
  async createWithinLimit(
    limit: number,
    input: { name: string; organizationId: string; keyHash: string; keyPrefix: string; createdBy: KeyActor },
  ): Promise<ApiKey | null> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', input.organizationId)
        .forNoKeyUpdate()
        .executeTakeFirst();
      const { count } = await trx
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('organization_id', '=', input.organizationId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(count) >= limit) return null;
      return trx
        .insertInto('api_keys')
        .values(this.newKey({ ...input, role: 'customer' }))
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  /** The keys of an organisation, revoked ones included, oldest first, after a page position. */
  listOfOrganization(query: {
    organizationId: string;
    after?: { createdAt: string; id: string };
    limit: number;
  }): Promise<ApiKey[]> {
    // cursors hold milliseconds (JavaScript's dates), PostgreSQL microseconds: compare and order at the cursor's
    // precision, or a row would come again on the next page (an organisation has tens of keys, not millions)
    const createdAt = sql<Date>`date_trunc('milliseconds', created_at)`;
    let select = this.db.selectFrom('api_keys').selectAll().where('organization_id', '=', query.organizationId);
    if (query.after) {
      const after = query.after;
      select = select.where(sql<boolean>`(${createdAt}, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
    }
    return select.orderBy(createdAt).orderBy('id').limit(query.limit).execute();
  }

  findById(id: string): Promise<ApiKey | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Records that the key was used now, when its last use is older than `interval` ms (one write a minute at most). */
  async touch(id: string, now: Date, intervalMs: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', new Date(now.getTime() - intervalMs))]),
      )
      .execute();
  }

  private newKey(input: {
    name: string;
    role: Role;
    organizationId: string | null;
    keyHash: string;
    keyPrefix: string;
    createdBy: KeyActor;
  }) {
    return {
      name: input.name,
      role: input.role,
      organization_id: input.organizationId,
      key_hash: input.keyHash,
      key_prefix: input.keyPrefix,
      created_by: input.createdBy.actorId,
      created_by_name: input.createdBy.name,
    };
  }

  /** Idempotent: the bootstrap key exists once however many processes start. */
  async ensure(input: { name: string; role: Role; keyHash: string; keyPrefix: string }): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ name: input.name, role: input.role, key_hash: input.keyHash, key_prefix: input.keyPrefix })
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .execute();
  }

  /**
   * Revokes a key that is not revoked yet (of `organizationId` only, when given); false when there is none such.
   * The authenticator reads the key's row on every request, so the key stops working with this commit.
   */
  async revoke(id: string, revokedBy: KeyActor, organizationId?: string): Promise<boolean> {
    let update = this.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date(), revoked_by: revokedBy.actorId, revoked_by_name: revokedBy.name })
      .where('id', '=', id)
      .where('revoked_at', 'is', null);
    if (organizationId) update = update.where('organization_id', '=', organizationId);
    const result = await update.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
