import { Injectable } from '@nestjs/common';
import type { Principal } from '@sigdesk/accounts';
import { CaseTransitions, CasesRepository } from '@sigdesk/cases';
import { compileRuleset } from '@sigdesk/detection';
import type { SignatureChange, SignatureChangeStatus } from '@sigdesk/db';
import { AppError, invalidCursor } from '@sigdesk/http';
import { expeditedBuildJob, JobName, jobIdFor, JobQueueService, OutboxRepository } from '@sigdesk/queues';
import { AppConfig } from '@sigdesk/config';
import { SignaturesRepository } from './signatures.repository';

export interface NewSignatureChange {
  type: 'add_detection' | 'suppress_detection';
  rule?: string;
  sha256?: string;
  targetRule?: string;
  reason?: string;
}

export function changeView(change: SignatureChange) {
  return {
    id: change.id,
    caseId: change.case_id,
    type: change.type,
    ruleName: change.rule_name,
    rule: change.rule_source,
    sha256: change.sha256,
    targetRule: change.target_rule,
    reason: change.reason,
    author: change.author,
    status: change.status,
    progress: change.progress,
    report: change.report,
    validatedAt: change.validated_at?.toISOString() ?? null,
    approvedBy: change.approved_by,
    approvedAt: change.approved_at?.toISOString() ?? null,
    decisionNote: change.decision_note,
    createdAt: change.created_at.toISOString(),
  };
}

/** Signature changes: written by an analyst for a confirmed case, validated by a job, approved by another analyst. */
@Injectable()
export class SignatureChangesService {
  constructor(
    private readonly config: AppConfig,
    private readonly signatures: SignaturesRepository,
    private readonly cases: CasesRepository,
    private readonly transitions: CaseTransitions,
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobQueueService,
  ) {}

  async propose(principal: Principal, caseId: string, input: NewSignatureChange) {
    const found = await this.cases.findById(caseId);
    if (!found) throw AppError.notFound('This case');
    if (found.status !== 'confirmed') {
      throw AppError.conflict(
        'case_not_confirmed',
        `Case ${found.reference} is ${found.status}; changes are written for confirmed cases.`,
      );
    }
    const expected = found.kind === 'false_negative' ? 'add_detection' : 'suppress_detection';
    if (input.type !== expected) {
      throw AppError.unprocessable(
        'wrong_change_type',
        `Case ${found.reference} is a ${found.kind.replace('_', ' ')}: it is fixed by ${expected}, not ${input.type}.`,
      );
    }

    let ruleName: string | null = null;
    if (input.rule !== undefined) {
      ruleName = await this.checkRule(input.rule, found.reference);
      const existing = await this.signatures.findRule(ruleName);
      const replacesItself = input.type === 'suppress_detection' && ruleName === input.targetRule;
      if ((existing && !replacesItself) || (await this.signatures.openChangesNaming(ruleName)).length) {
        throw AppError.conflict(
          'rule_name_taken',
          `A rule named ${ruleName} exists already, or another open change adds it.`,
        );
      }
    }
    if (input.type === 'add_detection' && input.rule === undefined) {
      throw AppError.badRequest(
        'invalid_input',
        'An add_detection change needs "rule": the YARA source of the new rule.',
      );
    }
    if (input.type === 'suppress_detection') {
      if ((input.sha256 === undefined) === (input.targetRule === undefined)) {
        throw AppError.badRequest(
          'invalid_input',
          'A suppress_detection change needs exactly one of "sha256" (an allow-list entry) or "targetRule" (a rule to disable, or to replace with "rule").',
        );
      }
      if (input.sha256 && !(await this.cases.samplesOf(caseId)).some((s) => s.sha256 === input.sha256)) {
        throw AppError.unprocessable(
          'sha256_not_in_case',
          'The allow-listed SHA-256 must be one of the samples of this case.',
        );
      }
      if (input.targetRule && !(await this.signatures.findRule(input.targetRule))?.enabled) {
        throw AppError.unprocessable('unknown_rule', `No enabled rule is named ${input.targetRule}.`);
      }
    }

    const change = await this.signatures.transaction(async (trx) => {
      const created = await this.signatures.insertChange(trx, {
        case_id: caseId,
        type: input.type,
        rule_name: ruleName,
        rule_source: input.rule ?? null,
        sha256: input.sha256 ?? null,
        target_rule: input.targetRule ?? null,
        reason: input.reason ?? null,
        author: principal.keyId,
        status: 'validating',
      });
      await this.cases.addEvent(trx, {
        caseId,
        type: 'signature_change_proposed',
        actorKeyId: principal.keyId,
        actorRole: principal.role,
        data: { changeId: created.id, type: created.type },
      });
      await this.outbox.add(
        trx,
        JobName.ValidateSignatureChange,
        { changeId: created.id },
        jobIdFor(JobName.ValidateSignatureChange, created.id),
      );
      return created;
    });
    this.jobs.relaySoon();
    return changeView(change);
  }

  async get(id: string) {
    const change = await this.signatures.findChange(id);
    if (!change) throw AppError.notFound('This signature change');
    return changeView(change);
  }

  async approve(principal: Principal, id: string, note: string | null, now = new Date()) {
    const approved = await this.signatures.transaction(async (trx) => {
      const change = await this.signatures.lockChange(trx, id);
      if (!change) throw AppError.notFound('This signature change');
      if (change.author === principal.keyId) {
        throw new AppError(
          403,
          'self_approval',
          'A change is approved by an analyst other than its author (four eyes).',
        );
      }
      if (change.status !== 'validated') {
        throw AppError.conflict(
          'not_validated',
          `This change is ${change.status}; only a change whose validation passed can be approved.`,
        );
      }
      const current = await this.cases.lockExistingCase(trx, change.case_id);
      if (current.status !== 'confirmed') {
        throw AppError.conflict('case_not_confirmed', `Case ${current.reference} is ${current.status}, not confirmed.`);
      }
      const result = await this.signatures.approve(trx, id, principal.keyId, note, now);
      await this.transitions.move(
        trx,
        current,
        'fix_scheduled',
        { keyId: principal.keyId, role: principal.role },
        {
          data: { changeId: id },
          now,
        },
      );
      return { result, current };
    });
    this.jobs.relaySoon();
    if (approved.current.tier === 'msa_start') {
      const job = expeditedBuildJob(approved.current.database_channel, this.config.builds.expeditedWindowMs);
      await this.jobs.enqueue(job.name, job.payload, undefined, job.options);
    }
    return changeView(approved.result);
  }

  async reject(principal: Principal, id: string, note: string, now = new Date()) {
    const rejected = await this.signatures.transaction(async (trx) => {
      const change = await this.signatures.lockChange(trx, id);
      if (!change) throw AppError.notFound('This signature change');
      if (!['validating', 'validated', 'validation_failed'].includes(change.status)) {
        throw AppError.conflict('cannot_reject', `This change is ${change.status}; it can no longer be rejected.`);
      }
      const result = await this.signatures.setStatus(trx, id, 'rejected', note, now);
      await this.cases.addEvent(trx, {
        caseId: change.case_id,
        type: 'signature_change_rejected',
        actorKeyId: principal.keyId,
        actorRole: principal.role,
        data: { changeId: id, note },
      });
      return result;
    });
    return changeView(rejected);
  }

  /** The feed release tooling reads: oldest first, resumable from the cursor of the last page. */
  async feed(status: SignatureChangeStatus, cursor: string | undefined, limit: number) {
    if (cursor !== undefined && !/^\d{1,18}$/.test(cursor)) {
      throw invalidCursor();
    }
    const rows = await this.signatures.feed(status, cursor, limit);
    return {
      items: rows.map(changeView),
      nextCursor: rows.length ? rows[rows.length - 1].approval_seq : (cursor ?? null),
    };
  }

  /** Checks one rule's source alone: it compiles, declares exactly one rule, and carries the case reference. */
  private async checkRule(source: string, reference: string): Promise<string> {
    const compiled = await compileRuleset([{ name: 'rule', source }]);
    // only checked, never scanned with: no scan thread was started, but release what there is
    void compiled.ruleset?.close();
    if (!compiled.ok) {
      throw AppError.unprocessable('rule_does_not_compile', 'The rule does not compile.', {
        diagnostics: compiled.errors,
      });
    }
    if (compiled.ruleNames.length !== 1) {
      throw AppError.unprocessable(
        'one_rule_per_change',
        `A change carries exactly one rule; this source declares ${compiled.ruleNames.length}.`,
      );
    }
    if (!new RegExp(`\\bcase\\s*=\\s*"${reference}"`).test(source)) {
      throw AppError.unprocessable(
        'rule_meta_missing_case',
        `The rule's meta must carry the case reference: case = "${reference}".`,
      );
    }
    return compiled.ruleNames[0];
  }
}
