import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Principal } from '@sigdesk/accounts';
import { CasesRepository, CaseTransitions, eventActor } from '@sigdesk/cases';
import type { SignatureChange, SignatureChangeStatus } from '@sigdesk/db';
import { AppError, invalidCursor } from '@sigdesk/http';
import { expeditedBuildJob, JobName, jobIdFor, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import { AppConfig } from '@sigdesk/config';
import { DEFAULT_ENGINE_MEMORY_BYTES, EnginePool } from '@sigdesk/detection';
import { checkChangeRule, type RuleCheck } from './rule-check';
import { RuleCheckGate } from './rule-check-gate';
import { ContentRepository } from './content/content.repository';
import { RulePacksRepository } from './import/rule-packs.repository';
import { SignaturesRepository } from './signatures.repository';

export interface NewSignatureChange {
  type: 'add_detection' | 'suppress_detection';
  rule?: string;
  sha256?: string;
  targetRule?: string;
  reason?: string;
  /** an allow-list entry that stops applying then */
  expiresAt?: Date;
}

export function changeView(change: SignatureChange) {
  return {
    id: change.id,
    caseId: change.case_id,
    rulePackImportId: change.rule_pack_import_id,
    channel: change.channel,
    type: change.type,
    ruleName: change.rule_name,
    rule: change.rule_source,
    sha256: change.sha256,
    targetRule: change.target_rule,
    expiresAt: change.expires_at?.toISOString() ?? null,
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
export class SignatureChangesService implements OnApplicationShutdown {
  private readonly checks = new RuleCheckGate();
  /** engine processes started ahead for the rule checks (the editor's, a proposal's), after the first check */
  private readonly checkEngines: EnginePool;

  constructor(
    private readonly config: AppConfig,
    private readonly signatures: SignaturesRepository,
    private readonly cases: CasesRepository,
    private readonly transitions: CaseTransitions,
    private readonly outbox: OutboxRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly contents: ContentRepository,
    private readonly packs: RulePacksRepository,
  ) {
    this.checkEngines = new EnginePool({
      size: config.builds.ruleCheckEngines,
      memoryLimitBytes: DEFAULT_ENGINE_MEMORY_BYTES,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.checkEngines.close();
  }

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

    // proposals are checked against the newest content of the case's channel, which the next build starts from
    const headVersion = await this.contents.headVersion(found.database_channel);
    const ruleNamed = async (name: string) =>
      (await this.contents.ruleAt(found.database_channel, headVersion, name)) !== undefined;
    let ruleName: string | null = null;
    if (input.rule !== undefined) {
      // open changes' names are left to the unique index, which also settles two proposals racing
      const check = await checkChangeRule(input.rule, {
        reference: found.reference,
        ruleNamed,
        replaces: input.type === 'suppress_detection' ? input.targetRule : undefined,
        engines: this.checkEngines,
      });
      if (!check.ok) throw refusalOf(check);
      ruleName = check.ruleName;
    }
    if (input.type === 'add_detection' && input.rule === undefined) {
      throw AppError.badRequest(
        'invalid_input',
        'An add_detection change needs "rule": the YARA source of the new rule.',
      );
    }
    if (input.type === 'add_detection' && input.expiresAt) {
      throw AppError.badRequest('invalid_input', '"expiresAt" applies to allow-list entries only.');
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
      if (input.targetRule && !(await ruleNamed(input.targetRule))) {
        throw AppError.unprocessable(
          'unknown_rule',
          `No rule is named ${input.targetRule} in database version ${headVersion ?? '(base ruleset)'} of channel "${found.database_channel}".`,
        );
      }
      if (input.expiresAt && (input.sha256 === undefined || input.expiresAt <= new Date())) {
        throw AppError.badRequest('invalid_input', '"expiresAt" is a future time, for an allow-list entry ("sha256").');
      }
    }

    const change = await this.unitOfWork
      .run(async (trx) => {
        const created = await this.signatures.insertChange(trx, {
          case_id: caseId,
          channel: found.database_channel,
          expires_at: input.expiresAt ?? null,
          type: input.type,
          rule_name: ruleName,
          rule_source: input.rule ?? null,
          sha256: input.sha256 ?? null,
          target_rule: input.targetRule ?? null,
          reason: input.reason ?? null,
          author: principal.actorId,
          status: 'validating',
        });
        await this.cases.addEvent(trx, {
          caseId,
          type: 'signature_change_proposed',
          ...eventActor(principal),
          data: { changeId: created.id, type: created.type },
        });
        await this.outbox.addFor(trx, JobName.ValidateSignatureChange, created.id, { changeId: created.id });
        return created;
      })
      .catch((error: unknown) => {
        if (ruleName && isRuleNameConflict(error)) throw ruleNameTaken(ruleName);
        throw error;
      });
    return changeView(change);
  }

  /**
   * The checks a proposal's rule goes through, answered as diagnostics with lines and columns (the rule editor's
   * inline errors): against the case's reference and the newest content of its channel, and the open changes.
   */
  async check(caseId: string, input: { rule: string; targetRule?: string }) {
    const found = await this.cases.findById(caseId);
    if (!found) throw AppError.notFound('This case');
    const channel = found.database_channel;
    // one rule looked up by name, not the head's thousands read: the editor asks at every pause in typing
    const headVersion = await this.contents.headVersion(channel);
    const check = await this.checks.run(() =>
      checkChangeRule(input.rule, {
        reference: found.reference,
        ruleNamed: async (name) =>
          (await this.contents.ruleAt(channel, headVersion, name)) !== undefined ||
          (await this.signatures.openChangeAddsRule(channel, name)),
        replaces: input.targetRule,
        engines: this.checkEngines,
      }),
    );
    return {
      ok: check.ok,
      ruleName: check.ruleName,
      errors: check.errors,
      warnings: check.warnings,
      checkedAgainst: { channel, databaseVersion: headVersion },
      millis: Math.round(check.millis),
    };
  }

  /**
   * A change with what its page shows beside it: its case, who wrote and decided it, and the rule it replaces or
   * disables as it stood in the version the change was proven against (the channel's newest before a report).
   */
  async get(id: string) {
    const change = await this.signatures.findChange(id);
    if (!change) throw AppError.notFound('This signature change');
    const found = change.case_id === null ? undefined : await this.cases.findById(change.case_id);
    const names = await this.signatures.actorNames([
      change.author,
      ...(change.approved_by ? [change.approved_by] : []),
    ]);
    const pack = change.rule_pack_import_id ? await this.packs.find(change.rule_pack_import_id) : undefined;
    let replacedRule: { name: string; source: string; databaseVersion: number | null } | null = null;
    if (change.target_rule) {
      const reported = change.report?.parentVersion;
      const version =
        typeof reported === 'number' || reported === null ? reported : await this.contents.headVersion(change.channel);
      const rule = await this.contents.ruleAt(change.channel, version, change.target_rule);
      if (rule) replacedRule = { name: rule.name, source: rule.source, databaseVersion: version };
    }
    return {
      ...changeView(change),
      authorName: names.get(change.author) ?? null,
      approvedByName: change.approved_by ? (names.get(change.approved_by) ?? null) : null,
      case: found && { id: found.id, reference: found.reference, kind: found.kind, status: found.status },
      rulePack: pack ? { id: pack.id, packName: pack.pack_name, summary: pack.summary } : null,
      replacedRule,
    };
  }

  /** A rule of the channel's newest content, by name. */
  async rule(name: string, channel: string) {
    const databaseVersion = await this.contents.headVersion(channel);
    const found = await this.contents.ruleAt(channel, databaseVersion, name);
    if (!found) throw AppError.notFound(`Rule ${name} of channel "${channel}"`);
    return { channel, databaseVersion, name: found.name, source: found.source, caseId: found.caseId };
  }

  /** The approvals inbox: changes whose validation passed, waiting for an analyst other than their author. */
  async awaitingApproval(principal: Principal, cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? undefined : parseInboxCursor(cursor);
    const rows = await this.signatures.awaitingApproval(after, limit);
    const last = rows.at(-1);
    return {
      items: rows.map((row) => ({
        ...changeView(row),
        authorName: row.author_name,
        /** the caller wrote it: another analyst approves it */
        yours: row.author === principal.actorId,
        case:
          row.case_id === null
            ? null
            : {
                id: row.case_id,
                reference: row.case_reference,
                kind: row.case_kind,
                tier: row.case_tier,
                severity: row.case_severity,
                premium: row.case_premium,
              },
        /** an import's pack, for a change without a case */
        packName: row.pack_name,
      })),
      nextCursor: rows.length === limit && last?.validated_at ? `${last.validated_at.toISOString()}_${last.id}` : null,
    };
  }

  async approve(principal: Principal, id: string, note: string | null, now = new Date()) {
    const approved = await this.unitOfWork.run(async (trx) => {
      const change = await this.signatures.lockChange(trx, id);
      if (!change) throw AppError.notFound('This signature change');
      if (change.author === principal.actorId) {
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
      if (change.case_id === null) {
        // an imported pack has no case to schedule a fix for: the next scheduled build of its channel takes it
        return this.signatures.approve(trx, id, principal.actorId, note, now);
      }
      const current = await this.cases.lockExistingCase(trx, change.case_id);
      if (current.status !== 'confirmed') {
        throw AppError.conflict('case_not_confirmed', `Case ${current.reference} is ${current.status}, not confirmed.`);
      }
      const result = await this.signatures.approve(trx, id, principal.actorId, note, now);
      await this.transitions.move(trx, current, 'fix_scheduled', principal, {
        data: { changeId: id },
        now,
      });
      if (current.tier === 'msa_start') {
        // through the outbox: the build request commits with the approval, whatever happens to the queue
        const job = expeditedBuildJob(current.database_channel, this.config.builds.expeditedWindowMs);
        await this.outbox.add(trx, job.name, job.payload, jobIdFor(job.name, id), undefined, job.options);
      }
      return result;
    });
    return changeView(approved);
  }

  async reject(principal: Principal, id: string, note: string, now = new Date()) {
    const rejected = await this.unitOfWork.run(async (trx) => {
      const change = await this.signatures.lockChange(trx, id);
      if (!change) throw AppError.notFound('This signature change');
      if (!['validating', 'validated', 'validation_failed'].includes(change.status)) {
        throw AppError.conflict('cannot_reject', `This change is ${change.status}; it can no longer be rejected.`);
      }
      const result = await this.signatures.setStatus(trx, id, 'rejected', note, now);
      if (change.case_id === null) return result;
      await this.cases.addEvent(trx, {
        caseId: change.case_id,
        type: 'signature_change_rejected',
        ...eventActor(principal),
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
}

function parseInboxCursor(cursor: string): { validatedAt: Date; id: string } {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f-]{36})$/.exec(cursor);
  const validatedAt = match ? new Date(match[1]) : undefined;
  if (!match || !validatedAt || Number.isNaN(validatedAt.getTime())) throw invalidCursor();
  return { validatedAt, id: match[2] };
}

/** Why a proposal's rule is refused: the first of its check's errors. */
function refusalOf(check: RuleCheck): AppError {
  const [first] = check.errors;
  switch (first.code) {
    case 'rule_name_taken':
      return ruleNameTaken(check.ruleName!);
    case 'rule_modifier_refused':
      return AppError.unprocessable(first.code, first.detail, { line: first.line, column: first.column });
    case 'one_rule_per_change':
    case 'rule_meta_missing_case':
      return AppError.unprocessable(first.code, first.detail);
    default:
      return AppError.unprocessable('rule_does_not_compile', 'The rule does not compile.', {
        diagnostics: check.errors,
      });
  }
}

function ruleNameTaken(name: string) {
  return AppError.conflict('rule_name_taken', `A rule named ${name} exists already, or another open change adds it.`);
}

/** The unique index on open changes' rule names per channel answers a race between two proposals of one name. */
export function isRuleNameConflict(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'signature_changes_open_rule_name_idx';
}
