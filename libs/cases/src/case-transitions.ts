import { Injectable } from '@nestjs/common';
import type { Transaction, Updateable } from 'kysely';
import type { Case, CasesTable, CaseStatus, DB, Role } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { CaseNotifier } from '@sigdesk/notifications';
import { canTransition } from './case-status';
import { CasesRepository } from './cases.repository';
import { customerStatusFacts } from './views/customer-case.view';

/** Who moves a case: a principal (an API key or a person), or sigdesk itself (`system`). */
export interface Actor {
  keyId: string | null;
  role: Role | 'system';
  userId?: string | null;
  displayName?: string | null;
}

/** The actor's columns of a timeline event: the key, or the person with the name they go by at the time. */
export function eventActor(actor: Actor) {
  return {
    actorKeyId: actor.keyId,
    actorUserId: actor.userId ?? null,
    actorName: actor.displayName ?? null,
    actorRole: actor.role,
  };
}

/**
 * The one way a case changes status: the move is checked against the state machine (409 otherwise), written
 * with its timeline event, and the customer's webhooks are queued, all in the caller's transaction.
 */
@Injectable()
export class CaseTransitions {
  constructor(
    private readonly cases: CasesRepository,
    private readonly notifier: CaseNotifier,
  ) {}

  async move(
    trx: Transaction<DB>,
    current: Case,
    to: CaseStatus,
    actor: Actor,
    options: { changes?: Updateable<CasesTable>; data?: Record<string, unknown>; now?: Date } = {},
  ): Promise<Case> {
    if (!canTransition(current.status, to)) {
      throw AppError.conflict(
        'invalid_status_transition',
        `Case ${current.reference} is ${current.status}; it cannot become ${to}.`,
        { status: current.status, requested: to },
      );
    }
    const now = options.now ?? new Date();
    const updated = await this.cases.update(trx, current.id, { ...options.changes, status: to, updated_at: now });
    await this.cases.addEvent(trx, {
      caseId: current.id,
      type: 'status_changed',
      fromStatus: current.status,
      toStatus: to,
      ...eventActor(actor),
      data: options.data,
    });
    await this.notifier.statusChanged(trx, {
      caseId: current.id,
      organizationId: current.organization_id,
      reference: current.reference,
      fromStatus: current.status,
      toStatus: to,
      at: now,
      // the customer's facts, never the data recorded for analysts
      data: customerStatusFacts(current.status, to, options.data),
    });
    return updated;
  }
}
