import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Selectable, sql, Transaction } from 'kysely';
import { AdvisoryLock, DB } from '@sigdesk/db';
import type { PagePosition } from '@sigdesk/http';
import { DeliveryResult, deliveryResultMessage } from './delivery-result';

export type Webhook = Selectable<DB['webhooks']>;
export type WebhookDelivery = Selectable<DB['webhook_deliveries']>;
export type DeliveryStatus = WebhookDelivery['status'];

/** A delivery with what sending it needs from its webhook. */
export interface DeliveryToSend {
  id: string;
  webhookId: string;
  status: DeliveryStatus;
  eventType: string;
  payload: Record<string, unknown>;
  url: string;
  secret: string;
  webhookDisabledAt: Date | null;
  organizationId: string;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  caseId: string | null;
  eventType: string;
  payload: Record<string, unknown>;
}

/** The outcome of one attempt, as recorded. */
export interface AttemptOutcome {
  result: Exclude<DeliveryResult, 'webhook_disabled'>;
  statusCode: number | null;
  /** The attempt failed and no other will be made: the delivery is given up. */
  giveUp: boolean;
}

/** Whether an attempt may start: `busy` when the organisation has all its attempts in flight (or this one is). */
export type AttemptClaim = 'claimed' | 'busy' | 'not_pending';

/** A page position whose timestamp keeps PostgreSQL's microseconds, so that rows written together page exactly. */
export interface DeliveryPageRow extends WebhookDelivery {
  position: string;
}

@Injectable()
export class WebhooksRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /**
   * Registers a webhook unless the organisation already has `limit` active ones. The organisation's row is locked
   * for the count, so concurrent registrations cannot both slip under the limit.
   */
  async insertWithinLimit(
    limit: number,
    values: { organizationId: string; url: string; secret: string; createdBy: string },
  ): Promise<Webhook | null> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', values.organizationId)
        .forNoKeyUpdate()
        .executeTakeFirst();
      const { count } = await trx
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('organization_id', '=', values.organizationId)
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(count) >= limit) return null;
      return trx
        .insertInto('webhooks')
        .values({
          organization_id: values.organizationId,
          url: values.url,
          secret: values.secret,
          created_by: values.createdBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  listActive(organizationId: string): Promise<Webhook[]> {
    return this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('disabled_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Active or not: a disabled webhook's deliveries stay readable. */
  findOwned(organizationId: string, id: string): Promise<Webhook | undefined> {
    return this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
  }

  /** Disables a webhook of the organisation; true when it exists (disabling twice is harmless). */
  async disable(organizationId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set((eb) => ({ disabled_at: eb.fn.coalesce('disabled_at', eb.val(at)) }))
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** An active webhook of the organisation, locked until the transaction ends. */
  lockActive(trx: Transaction<DB>, organizationId: string, id: string): Promise<Webhook | undefined> {
    return trx
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .where('disabled_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Whether the webhook has a delivery of `eventType` still to be sent. Served by webhook_deliveries_webhook_idx. */
  async hasPending(trx: Transaction<DB>, webhookId: string, eventType: string): Promise<boolean> {
    const row = await trx
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('webhook_id', '=', webhookId)
      .where('event_type', '=', eventType)
      .where('status', '=', 'pending')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** One delivery as the organisation's listing shows it. */
  findDelivery(trx: Transaction<DB>, id: string): Promise<WebhookDelivery> {
    return trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async activeIdsFor(trx: Transaction<DB>, organizationId: string): Promise<string[]> {
    const rows = await trx
      .selectFrom('webhooks')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('disabled_at', 'is', null)
      .execute();
    return rows.map((r) => r.id);
  }

  async insertDeliveries(trx: Transaction<DB>, deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await trx
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((d) => ({
          id: d.id,
          webhook_id: d.webhookId,
          case_id: d.caseId,
          event_type: d.eventType,
          payload: JSON.stringify(d.payload),
          // now() is the same for a whole transaction; the wall clock orders two changes made in one
          created_at: sql<Date>`clock_timestamp()`,
        })),
      )
      .execute();
  }

  findToSend(id: string): Promise<DeliveryToSend | undefined> {
    return this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select([
        'd.id',
        'd.webhook_id as webhookId',
        'd.status',
        'd.event_type as eventType',
        'd.payload',
        'w.url',
        'w.secret',
        'w.disabled_at as webhookDisabledAt',
        'w.organization_id as organizationId',
      ])
      .where('d.id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Takes one of the organisation's `limit` slots for an attempt and counts the attempt before it is made, so that
   * one cut short by a crash still shows. The slot is a lease on the delivery (`sending_until`) that
   * {@link recordOutcome} gives back, and that runs out by itself after `leaseMs` if the worker dies. Slots are
   * counted under a lock per organisation, so that concurrent workers cannot together take more than `limit`.
   */
  async claimAttempt(
    id: string,
    organizationId: string,
    limit: number,
    leaseMs: number,
    at: Date,
  ): Promise<AttemptClaim> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.WebhookOrganization}::int, hashtext(${organizationId}))`.execute(
        trx,
      );
      const delivery = await trx
        .selectFrom('webhook_deliveries')
        .select(['status', sql<boolean>`coalesce(sending_until > clock_timestamp(), false)`.as('inFlight')])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!delivery || delivery.status !== 'pending') return 'not_pending';
      if (delivery.inFlight) return 'busy';
      const { n } = await trx
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('w.organization_id', '=', organizationId)
        .where('d.sending_until', '>', sql<Date>`clock_timestamp()`)
        .executeTakeFirstOrThrow();
      if (Number(n) >= limit) return 'busy';
      await trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_attempt_at: at,
          sending_until: sql<Date>`clock_timestamp() + make_interval(secs => ${leaseMs / 1000})`,
        }))
        .where('id', '=', id)
        .execute();
      return 'claimed';
    });
  }

  /**
   * Records an attempt's outcome, in the coarse form customers see, and gives its slot back; a delivery that is no
   * longer pending (delivered meanwhile) is left as it is.
   */
  async recordOutcome(id: string, outcome: AttemptOutcome, at: Date): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        last_result: outcome.result,
        last_status_code: outcome.statusCode,
        last_error: deliveryResultMessage(outcome.result, outcome.statusCode),
        sending_until: null,
        ...(outcome.result === 'delivered'
          ? { status: 'delivered' as const, delivered_at: at }
          : outcome.giveUp
            ? { status: 'failed' as const }
            : {}),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Gives a delivery up without an attempt: its webhook was disabled. */
  async markDisabled(id: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: 'failed',
        last_result: 'webhook_disabled',
        last_error: deliveryResultMessage('webhook_disabled', null),
        sending_until: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Deliveries still to be sent, by id after `afterId`. Served by webhook_deliveries_pending_idx. */
  async pendingDeliveries(afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending');
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /** A webhook's deliveries, newest first, after a position from {@link DeliveryPageRow.position}. */
  listDeliveries(webhookId: string, after: PagePosition | undefined, limit: number): Promise<DeliveryPageRow[]> {
    let query = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .select(sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position'))
      .where('webhook_id', '=', webhookId);
    if (after) {
      const createdAt = sql<Date>`${after.createdAt}::timestamptz`;
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', after.id)])]),
      );
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }
}
