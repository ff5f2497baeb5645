import { Injectable, Logger } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { OrganizationsRepository, Principal } from '@sigdesk/accounts';
import {
  analystCaseDetail,
  CasesRepository,
  CaseTransitions,
  eventActor,
  ResponseClock,
  responseClockView,
} from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import type { Case, DB, Organization, Verdict } from '@sigdesk/db';
import { AppError, invalidCursor, isTimestamp, isUuid, isWholeNumber } from '@sigdesk/http';
import { JobName, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import { claimView } from './claim-view';
import { QueueFilter, QueueKey, QueueRow, ReviewRepository } from './review.repository';
import type { AnalystCase, QueueItem, QueuePage, ResponseClock as ResponseClockBody } from './review.schemas';
import { triageOf } from './triage-view';

/** How many other cases with the same sample a case shows, per sample (the total is given too). */
const SIBLINGS_PER_SAMPLE = 20;

/** A sample that came with a customer's reply, already in object storage (its SHA-1 and MD5 come later). */
export interface ReplySample {
  sha256: string;
  size: number;
  type: string;
  storageKey: string;
  fileName: string;
  archivePath: string | null;
}

export function encodeQueueCursor(key: QueueKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeQueueCursor(cursor: string): QueueKey {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as QueueKey;
    if (
      typeof key.standard === 'boolean' &&
      typeof key.notPremium === 'boolean' &&
      isWholeNumber(key.severity, 1, 4) &&
      isTimestamp(key.responseDueAt) &&
      isTimestamp(key.createdAt) &&
      isUuid(key.id)
    ) {
      return key;
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/** Analysts' work on cases: the queue, claims, responses and verdicts. */
@Injectable()
export class ReviewService {
  private readonly logger = new Logger(ReviewService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly review: ReviewRepository,
    private readonly cases: CasesRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly transitions: CaseTransitions,
    private readonly clock: ResponseClock,
    private readonly unitOfWork: UnitOfWork,
    private readonly outbox: OutboxRepository,
  ) {}

  async queue(
    cursor: string | undefined,
    limit: number,
    filter: QueueFilter = { claimed: 'no' },
    now = new Date(),
  ): Promise<QueuePage> {
    const rows = await this.review.queuePage(cursor ? decodeQueueCursor(cursor) : undefined, limit + 1, filter);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const organizations = await this.review.organizations([...new Set(page.map((row) => row.organization_id))]);
    return {
      items: page.map((row) => this.queueItem(row, organizations.get(row.organization_id), now)),
      nextCursor:
        rows.length > limit && last
          ? encodeQueueCursor({
              standard: last.tier !== 'msa_start',
              notPremium: !last.premium,
              severity: last.severity,
              responseDueAt: last.response_due_at!.toISOString(),
              createdAt: last.created_at.toISOString(),
              id: last.id,
            })
          : null,
    };
  }

  private queueItem(row: QueueRow, organization: Organization | undefined, now: Date): QueueItem {
    return {
      id: row.id,
      reference: row.reference,
      status: row.status as QueueItem['status'],
      organization: { id: row.organization_id, name: row.organization_name },
      kind: row.kind,
      tier: row.tier,
      premium: row.premium,
      severity: row.severity,
      responseDueAt: row.response_due_at?.toISOString() ?? null,
      msLeft: row.response_due_at ? row.response_due_at.getTime() - now.getTime() : null,
      responseClock: this.responseClock(row, organization, now),
      slaWarned: row.sla_warned_at !== null,
      slaBreached: row.sla_breached_at !== null,
      claim: claimView(
        row,
        row.holder_kind && row.holder_name ? { kind: row.holder_kind, name: row.holder_name } : null,
        this.config.review.claimTimeoutMs,
        now,
      ),
      group: { id: row.group_id ?? row.id, size: row.group_size },
      createdAt: row.created_at.toISOString(),
    };
  }

  /** The case's response clock as its customer's business calendar counts it, with its whole response time. */
  private responseClock(found: Case, organization: Organization | undefined, now: Date): ResponseClockBody {
    const view = organization
      ? responseClockView(found, this.clock.calendarOf(organization), now)
      : { state: 'none' as const, remainingWorkingSeconds: null, countingForSeconds: 0 };
    return { ...view, targetWorkingSeconds: Math.round(this.clock.targetMs(found.tier, found.severity) / 1000) };
  }

  /** The next case, to the caller; null when the queue is empty. */
  async claim(principal: Principal, now = new Date()) {
    const claimed = await this.unitOfWork.run(async (trx) => {
      const next = await this.review.lockNextQueued(trx);
      if (!next) return null;
      return this.transitions.move(trx, next, 'in_review', principal, {
        changes: { assigned_to: principal.actorId, claimed_at: now, last_analyst_activity_at: now },
        data: { assignedTo: principal.actorId },
        now,
      });
    });
    return claimed ? this.detail(claimed.id) : null;
  }

  /**
   * Claims the case `id` for the caller, whichever its place in the queue: atomic (the case is locked, so two
   * analysts claiming it at once get it once), and idempotent for its holder. A case someone else holds is a 409
   * (take it over explicitly instead), as is a case that is not waiting in the queue.
   */
  async claimCase(principal: Principal, id: string, now = new Date()): Promise<AnalystCase> {
    await this.unitOfWork.run(async (trx) => {
      const current = await this.lockCase(trx, id);
      if (current.status === 'in_review' && current.assigned_to === principal.actorId) return;
      if (current.status === 'in_review') {
        throw AppError.conflict(
          'claimed_by_another',
          `Case ${current.reference} is claimed by another analyst. Take it over explicitly if you must.`,
          { assignedTo: current.assigned_to },
        );
      }
      if (current.status !== 'queued') {
        throw AppError.conflict(
          'not_queued',
          `Case ${current.reference} is ${current.status}; only a queued case can be claimed.`,
          { status: current.status },
        );
      }
      await this.transitions.move(trx, current, 'in_review', principal, {
        changes: { assigned_to: principal.actorId, claimed_at: now, last_analyst_activity_at: now },
        data: { assignedTo: principal.actorId },
        now,
      });
    });
    return this.detail(id);
  }

  async detail(id: string, now = new Date()): Promise<AnalystCase> {
    // one snapshot: the case row and its timeline read apart could disagree (a breach event without breachedAt)
    const { found, samples, events } = await this.cases.snapshot(async (trx) => {
      const found = await this.cases.findById(id, trx);
      if (!found) throw AppError.notFound('This case');
      return { found, samples: await this.cases.samplesOf(id, trx), events: await this.cases.eventsOf(id, trx) };
    });
    const [organization, group, contracts, holder, siblings] = await Promise.all([
      this.organizations.findById(found.organization_id),
      this.review.groupMembers(found.group_id ?? found.id),
      this.organizations.listContracts(found.organization_id),
      found.assigned_to ? this.review.holder(found.assigned_to) : null,
      this.review.samplesSiblings(
        id,
        samples.map((s) => s.sha256),
        SIBLINGS_PER_SAMPLE,
      ),
    ]);
    const contract = contracts.find((c) => c.id === found.contract_id);
    const view = analystCaseDetail({ case: found, samples, events, organization, contract, group });
    return {
      ...view,
      samples: (view.samples ?? []).map((sample) => {
        const others = siblings.filter((s) => s.sha256 === sample.sha256);
        return {
          ...sample,
          otherCases: others.map((s) => ({
            id: s.id,
            reference: s.reference,
            status: s.status,
            organization: { id: s.organization_id, name: s.organization_name },
          })),
          otherCasesTotal: others[0]?.total ?? 0,
        };
      }),
      timeline: view.timeline ?? [],
      verdict: view.verdict ?? null,
      claim: claimView(found, holder, this.config.review.claimTimeoutMs, now),
      responseClock: this.responseClock(found, organization, now),
      triage: triageOf(events),
    };
  }

  async release(principal: Principal, id: string, now = new Date()) {
    await this.unitOfWork.run(async (trx) => {
      const current = await this.lockOwned(trx, principal, id);
      await this.transitions.move(trx, current, 'queued', principal, {
        changes: { assigned_to: null, claimed_at: null, last_analyst_activity_at: null },
        data: { reason: 'released' },
        now,
      });
    });
    return this.detail(id);
  }

  /** Takes a case claimed by another analyst: explicit, and on the timeline. */
  async takeOver(principal: Principal, id: string, now = new Date()) {
    await this.unitOfWork.run(async (trx) => {
      const current = await this.lockCase(trx, id);
      if (current.status !== 'in_review') {
        throw AppError.conflict(
          'not_in_review',
          `Case ${current.reference} is ${current.status}: claim it from the queue.`,
        );
      }
      await this.cases.update(trx, id, {
        assigned_to: principal.actorId,
        last_analyst_activity_at: now,
        updated_at: now,
      });
      await this.cases.addEvent(trx, {
        caseId: id,
        type: 'reassigned',
        ...eventActor(principal),
        data: { from: current.assigned_to, to: principal.actorId },
      });
    });
    return this.detail(id);
  }

  /**
   * An analyst's answer to the customer. Without `awaitCustomer` it is the qualified response and stops the
   * clock; with it, the case waits for the customer and the clock pauses.
   */
  async respond(
    principal: Principal,
    id: string,
    input: { message: string; awaitCustomer: boolean },
    now = new Date(),
  ) {
    await this.unitOfWork.run(async (trx) => {
      const current = await this.lockOwned(trx, principal, id);
      await this.cases.addEvent(trx, {
        caseId: id,
        type: input.awaitCustomer ? 'question' : 'response',
        ...eventActor(principal),
        data: { message: input.message },
      });
      if (input.awaitCustomer) {
        await this.transitions.move(trx, current, 'awaiting_customer', principal, {
          changes: {
            sla_paused_at: current.first_response_at ? null : now,
            last_analyst_activity_at: now,
          },
          data: { message: input.message },
          now,
        });
      } else {
        await this.cases.update(trx, id, {
          first_response_at: current.first_response_at ?? now,
          last_analyst_activity_at: now,
          updated_at: now,
        });
      }
    });
    return this.detail(id);
  }

  /** The customer answers a question: the case goes back to its analyst (or the queue) and the clock restarts. */
  /**
   * Whether `principal` may reply to case `id` now: the checks of {@link customerReply} made before a reply's body
   * is read, so that the samples of a refused reply are never spooled or stored. The transaction checks again.
   */
  async assertCanReply(principal: Principal, id: string): Promise<void> {
    const found = await this.cases.findById(id);
    if (!found) throw AppError.notFound('This case');
    assertAcceptsReply(principal, found);
  }

  async customerReply(
    principal: Principal,
    id: string,
    message: string,
    samples: ReplySample[] = [],
    now = new Date(),
  ) {
    await this.unitOfWork.run(async (trx) => {
      const current = await this.lockCase(trx, id);
      assertAcceptsReply(principal, current);
      const known = new Set((await this.cases.samplesOf(id, trx)).map((s) => s.sha256));
      const added = samples.filter((s) => !known.has(s.sha256));
      await this.cases.upsertSamples(trx, added);
      await this.cases.linkSamples(trx, id, added, known.size);
      // the case's intake is done: its new samples' SHA-1 and MD5 get a job of their own
      for (const sample of added) {
        await this.outbox.addFor(trx, JobName.DigestSample, sample.sha256, { sha256: sample.sha256 });
      }
      await this.cases.addEvent(trx, {
        caseId: id,
        type: 'customer_reply',
        ...eventActor(principal),
        data: { message, ...(added.length ? { samplesAdded: added.map((s) => s.sha256) } : {}) },
      });
      const changes: Record<string, unknown> = { sla_paused_at: null };
      if (current.sla_paused_at && current.response_due_at) {
        const organization = (await this.organizations.findById(current.organization_id))!;
        const plan = this.clock.resume(organization, current, now);
        Object.assign(changes, {
          response_due_at: plan.responseDueAt,
          sla_warning_at: plan.warningAt ?? current.sla_warning_at,
        });
        await this.clock.scheduleTimers(trx, id, plan);
      }
      await this.transitions.move(trx, current, current.assigned_to ? 'in_review' : 'queued', principal, {
        changes,
        now,
      });
    });
  }

  /**
   * A verdict closes the review; `applyToGroup` gives it to every open case with the same sample, except the
   * cases another analyst has claimed: those stay with their analyst, whose own findings may differ, and the
   * answer lists them under `skipped`.
   */
  async verdict(
    principal: Principal,
    id: string,
    input: { verdict: Verdict; note: string; applyToGroup: boolean },
    now = new Date(),
  ) {
    const { applied, skipped } = await this.unitOfWork.run(async (trx) => {
      const { current, others } = input.applyToGroup
        ? await this.lockOwnedWithGroup(trx, principal, id)
        : { current: await this.lockOwned(trx, principal, id), others: [] };
      const claimedByAnother = (c: Case) => c.status === 'in_review' && c.assigned_to !== principal.actorId;
      const targets = [current, ...others.filter((c) => !claimedByAnother(c))];
      for (const target of targets) {
        let movable = target;
        if (target.status === 'queued') {
          movable = await this.transitions.move(trx, target, 'in_review', principal, {
            changes: { assigned_to: principal.actorId, claimed_at: now, last_analyst_activity_at: now },
            data: { reason: 'group verdict', from: current.id },
            now,
          });
        }
        await this.transitions.move(trx, movable, input.verdict, principal, {
          changes: {
            verdict: input.verdict,
            verdict_note: input.note,
            verdict_at: now,
            first_response_at: target.first_response_at ?? now,
            sla_paused_at: null,
            last_analyst_activity_at: now,
          },
          data: {
            verdict: input.verdict,
            note: input.note,
            ...(target.id !== current.id ? { groupOf: current.reference } : {}),
          },
          now,
        });
      }
      return {
        applied: targets.map((t) => t.reference),
        skipped: others
          .filter(claimedByAnother)
          .map((c) => ({ id: c.id, reference: c.reference, reason: 'claimed_by_another' as const })),
      };
    });
    this.logger.log({ caseId: id, verdict: input.verdict, cases: applied, skipped: skipped.length }, 'verdict');
    return { ...(await this.detail(id)), appliedTo: applied, skipped };
  }

  /** Claims untouched for longer than the claim timeout go back to the queue. */
  async releaseStaleClaims(now = new Date()): Promise<number> {
    const stale = await this.review.staleClaims(new Date(now.getTime() - this.config.review.claimTimeoutMs), 100);
    let released = 0;
    for (const candidate of stale) {
      released += await this.unitOfWork.run(async (trx) => {
        const current = await this.cases.lockCase(trx, candidate.id);
        const cutoff = now.getTime() - this.config.review.claimTimeoutMs;
        if (
          !current ||
          current.status !== 'in_review' ||
          (current.last_analyst_activity_at?.getTime() ?? 0) >= cutoff
        ) {
          return 0;
        }
        await this.transitions.move(
          trx,
          current,
          'queued',
          { keyId: null, role: 'system' },
          {
            changes: { assigned_to: null, claimed_at: null, last_analyst_activity_at: null },
            data: { reason: 'claim timed out', analyst: current.assigned_to },
            now,
          },
        );
        return 1;
      });
    }
    return released;
  }

  private async lockCase(trx: Transaction<DB>, id: string): Promise<Case> {
    const current = await this.cases.lockCase(trx, id);
    if (!current) throw AppError.notFound('This case');
    return current;
  }

  /** The case, which must be in review and claimed by the caller. */
  private async lockOwned(trx: Transaction<DB>, principal: Principal, id: string): Promise<Case> {
    return this.assertOwned(principal, await this.lockCase(trx, id));
  }

  /**
   * {@link lockOwned}, with the other open cases of its group. Every case of the group is locked by one
   * statement in one global order (by id), the caller's among them: two analysts giving group verdicts in one
   * group at once wait for each other instead of each holding their own case while waiting for the other's.
   */
  private async lockOwnedWithGroup(
    trx: Transaction<DB>,
    principal: Principal,
    id: string,
  ): Promise<{ current: Case; others: Case[] }> {
    // unlocked read, for the group only: a case never changes group
    const found = await this.cases.findById(id);
    if (!found) throw AppError.notFound('This case');
    const group = await this.review.lockGroup(trx, found.group_id ?? found.id, ['queued', 'in_review']);
    const current = group.find((c) => c.id === id) ?? (await this.lockCase(trx, id));
    return { current: this.assertOwned(principal, current), others: group.filter((c) => c.id !== id) };
  }

  private assertOwned(principal: Principal, current: Case): Case {
    if (current.status !== 'in_review') {
      throw AppError.conflict(
        'not_in_review',
        `Case ${current.reference} is ${current.status}; this needs a case in review that you have claimed.`,
        { status: current.status },
      );
    }
    if (current.assigned_to !== principal.actorId) {
      throw AppError.conflict(
        'claimed_by_another',
        `Case ${current.reference} is claimed by another analyst. Take it over explicitly first.`,
      );
    }
    return current;
  }
}

/** A reply is for a case of the customer's own organisation that waits for the customer's answer. */
function assertAcceptsReply(principal: Principal, current: Case): void {
  if (principal.role === 'customer' && current.organization_id !== principal.organizationId) {
    throw AppError.notFound('This case');
  }
  if (current.status !== 'awaiting_customer') {
    throw AppError.conflict(
      'not_awaiting_customer',
      `Case ${current.reference} is ${current.status}; replies are for cases waiting for your answer.`,
    );
  }
}
