import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { DB } from '@sigdesk/db';

export interface StoredIdempotentResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  async find(organizationId: string, key: string): Promise<StoredIdempotentResponse | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'response_status', 'response_body'])
      .where('organization_id', '=', organizationId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { fingerprint: row.fingerprint, status: row.response_status, body: row.response_body };
  }

  /**
   * Records the answer in the same transaction as the case. A concurrent request with the same key waits on
   * the primary key until this one commits, then fails with a unique violation and replays the answer.
   */
  async insert(
    trx: Transaction<DB>,
    entry: { organizationId: string; key: string; fingerprint: string; caseId: string; status: number; body: unknown },
  ): Promise<void> {
    await trx
      .insertInto('idempotency_keys')
      .values({
        organization_id: entry.organizationId,
        key: entry.key,
        fingerprint: entry.fingerprint,
        case_id: entry.caseId,
        response_status: entry.status,
        response_body: JSON.stringify(entry.body),
      })
      .execute();
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = error as { code?: string; constraint?: string };
  return pg.code === '23505' && (constraint === undefined || pg.constraint === constraint);
}
