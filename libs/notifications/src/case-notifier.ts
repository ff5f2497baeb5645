import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { CaseStatus, DB, Verdict } from '@sigdesk/db';
import { JobName, jobIdFor, OutboxRepository } from '@sigdesk/queues';
import { WebhooksRepository } from './webhooks.repository';

/**
 * What a customer is told of a status change besides the status itself, each fact by name: a receiver gets these
 * and nothing else (they are chosen for the customer by the customer view of a case, `customerStatusFacts`).
 */
export interface CaseStatusFacts {
  verdict?: Verdict;
  message?: string;
  /** a new submission's: the database version it was checked against, and how many samples it holds */
  databaseVersion?: number;
  samples?: number;
  scheduledDatabaseVersion?: number;
  fixedInDatabaseVersion?: number;
}

/** A customer-visible change of a case, as written to webhook deliveries. */
export interface CaseStatusChange {
  caseId: string;
  organizationId: string;
  reference: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  at: Date;
  data?: CaseStatusFacts;
}

export const CASE_STATUS_CHANGED = 'case.status_changed';

/** The body of a `case.status_changed` delivery, as the customer's receiver gets it. */
export function caseStatusChangedPayload(deliveryId: string, change: CaseStatusChange): Record<string, unknown> {
  return {
    id: deliveryId,
    type: CASE_STATUS_CHANGED,
    occurredAt: change.at.toISOString(),
    case: {
      id: change.caseId,
      reference: change.reference,
      status: change.toStatus,
      previousStatus: change.fromStatus,
      ...factsOf(change.data ?? {}),
    },
  };
}

/** The facts by name, those given only: a caller's object may carry more than its type says. */
function factsOf(facts: CaseStatusFacts): CaseStatusFacts {
  const { verdict, message, databaseVersion, samples, scheduledDatabaseVersion, fixedInDatabaseVersion } = facts;
  const named: CaseStatusFacts = {
    verdict,
    message,
    databaseVersion,
    samples,
    scheduledDatabaseVersion,
    fixedInDatabaseVersion,
  };
  return Object.fromEntries(Object.entries(named).filter(([, value]) => value !== undefined));
}

/**
 * Writes one webhook delivery per active webhook of the case's organisation, and its outbox row, inside the
 * transaction that changes the status: a rolled-back change notifies nobody, a committed one is never lost.
 * The outbox is relayed to the notifications queue by `UnitOfWork.run` after the commit, and by the periodic relay.
 */
@Injectable()
export class CaseNotifier {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async statusChanged(trx: Transaction<DB>, change: CaseStatusChange): Promise<void> {
    const webhookIds = await this.webhooks.activeIdsFor(trx, change.organizationId);
    if (webhookIds.length === 0) return;
    const deliveries = webhookIds.map((webhookId) => {
      const id = randomUUID();
      return {
        id,
        webhookId,
        caseId: change.caseId,
        eventType: CASE_STATUS_CHANGED,
        payload: caseStatusChangedPayload(id, change),
      };
    });
    await this.webhooks.insertDeliveries(trx, deliveries);
    for (const delivery of deliveries) {
      await this.outbox.add(
        trx,
        JobName.DeliverWebhook,
        { deliveryId: delivery.id },
        jobIdFor(JobName.DeliverWebhook, delivery.id),
      );
    }
  }
}
