import { Injectable } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import type { Principal } from '@sigdesk/accounts';
import type { RulePackFile, RulePackImport } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { JobName, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import { ContentRepository } from '../content/content.repository';
import { changeView } from '../signature-changes.service';
import { SignaturesRepository } from '../signatures.repository';
import { DEFAULT_PACK_LIMITS, PackError, packNameOf, readPack } from './pack-files';
import { FileReport, PackSummary, withoutDetections } from './pack-report';
import { RulePacksRepository } from './rule-packs.repository';
import {
  leftOutUnlessAll,
  type CreatedRulePackImport,
  type RemovedPackFile,
  type ReplacedPack,
  type RulePackFileView,
  type RulePackImportDetail,
  type RulePackImportView,
} from './rule-pack-views';

/** An uploaded pack, spooled to a local file (hashed) by the upload's reader. */
export interface PackUpload {
  path: string;
  fileName: string;
  size: number;
  sha256: string;
}

/** What an admin accepts of an analysed pack: every rule, or all but the flagged ones. */
export type AcceptedRules = 'all' | 'unflagged';

/**
 * Rule pack imports: a lab's existing rules in, each file in its own YARA namespace, analysed (see
 * RulePackAnalyser) and then accepted by an admin as one signature change, which goes through the same proof and the
 * same four-eyes approval as every change.
 */
@Injectable()
export class RulePacksService {
  constructor(
    private readonly packs: RulePacksRepository,
    private readonly signatures: SignaturesRepository,
    private readonly contents: ContentRepository,
    private readonly outbox: OutboxRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Reads the pack's files (refused whole when it is not a pack, or past the limits) and starts its analysis. */
  async create(
    principal: Principal,
    upload: PackUpload,
    channel: string,
    name?: string,
  ): Promise<CreatedRulePackImport> {
    const packName = name ?? packNameOf(upload.fileName);
    let contents;
    try {
      contents = await readPack(createReadStream(upload.path), upload.fileName, packName, DEFAULT_PACK_LIMITS);
    } catch (error) {
      if (error instanceof PackError) throw AppError.unprocessable(error.code, error.message);
      throw error;
    }
    const created = await this.unitOfWork.run(async (trx) => {
      const row = await this.packs.insert(trx, {
        channel,
        packName,
        fileName: upload.fileName,
        format: contents.format,
        bytes: upload.size,
        sha256: upload.sha256,
        skipped: contents.skipped,
        createdBy: principal.actorId,
        files: contents.files.map((f) => ({ path: f.path, namespace: f.namespace, text: f.text })),
      });
      await this.outbox.addFor(trx, JobName.AnalyseRulePack, row.id, { importId: row.id });
      return row;
    });
    return { ...importView(created), files: contents.files.length };
  }

  async list(limit: number): Promise<{ items: RulePackImportView[] }> {
    return { items: (await this.packs.list(limit)).map(importView) };
  }

  /**
   * The import with its quality report: per file, and per rule within each file; and, once analysed and until
   * accepted, what accepting it would replace: the files its channel's database has from a pack of the same name.
   */
  async get(id: string): Promise<RulePackImportDetail> {
    const found = await this.packs.find(id);
    if (!found) throw AppError.notFound('This rule pack import');
    const files = await this.packs.files(id);
    return {
      ...importView(found),
      replaces: found.status === 'analysed' ? await this.replaced(found, files) : null,
      files: files.map(fileView),
    };
  }

  /**
   * The pack's files in the head version of the import's channel (null: the pack is not in it), and which of them
   * accepting the import would take out: a file the import does not have, or has but cannot compile.
   */
  private async replaced(found: RulePackImport, files: RulePackFile[]): Promise<ReplacedPack | null> {
    const version = await this.contents.headVersion(found.channel);
    const current = await this.contents.packFilesAt(found.channel, version, found.pack_name);
    if (current.length === 0) return null;
    const imported = new Map(files.map((f) => [f.namespace, f]));
    const removed = current.flatMap(({ namespace, file }): RemovedPackFile[] => {
      const incoming = imported.get(namespace);
      if (!incoming) return [{ namespace, path: file, reason: 'not_in_import' }];
      const report = incoming.report as unknown as FileReport | null;
      return report && !report.compiled ? [{ namespace, path: file, reason: 'does_not_compile' }] : [];
    });
    return { channel: found.channel, version, files: current.length, removed };
  }

  /**
   * Accepts an analysed pack as one `import_rules` change: the files that compile, each with its flagged rules left
   * out as detections when `rules` is 'unflagged' (made private: a helper other rules use keeps working).
   */
  async accept(principal: Principal, id: string, rules: AcceptedRules) {
    const change = await this.unitOfWork.run(async (trx) => {
      const found = await this.packs.lock(trx, id);
      if (!found) throw AppError.notFound('This rule pack import');
      if (found.status !== 'analysed') {
        throw AppError.conflict(
          'import_not_analysed',
          found.status === 'accepted'
            ? 'This import was accepted already.'
            : `This import is ${found.status}; an import is accepted once its analysis has finished.`,
        );
      }
      const files = await this.packs.files(id, trx);
      const accepted = new Map<number, string | null>();
      let ruleCount = 0;
      let leftOut = 0;
      for (const file of files) {
        const report = file.report as unknown as FileReport | null;
        if (!report?.compiled) {
          accepted.set(file.position, null);
          continue;
        }
        const flagged = new Set(rules === 'unflagged' ? report.rules.filter(leftOutUnlessAll).map((r) => r.name) : []);
        ruleCount += report.rules.length - flagged.size;
        leftOut += flagged.size;
        accepted.set(file.position, withoutDetections(file.source, flagged));
      }
      if (![...accepted.values()].some((source) => source !== null)) {
        throw AppError.unprocessable('nothing_to_accept', 'No file of this pack compiles: there is nothing to accept.');
      }
      const created = await this.signatures.insertChange(trx, {
        case_id: null,
        rule_pack_import_id: id,
        channel: found.channel,
        type: 'import_rules',
        rule_name: null,
        rule_source: null,
        sha256: null,
        target_rule: null,
        reason:
          `rule pack ${found.pack_name}: ${[...accepted.values()].filter((s) => s !== null).length} file(s), ` +
          `${ruleCount} rule(s)` +
          (leftOut ? `, ${leftOut} flagged rule(s) left out as detections` : ''),
        author: principal.actorId,
        status: 'validating',
      });
      await this.packs.accept(trx, id, accepted, created.id);
      await this.outbox.addFor(trx, JobName.ValidateSignatureChange, created.id, { changeId: created.id });
      return created;
    });
    return changeView(change);
  }
}

function importView(row: RulePackImport): RulePackImportView {
  return {
    id: row.id,
    channel: row.channel,
    packName: row.pack_name,
    fileName: row.file_name,
    format: row.format,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    status: row.status,
    progress: row.progress,
    summary: row.summary as unknown as PackSummary | null,
    error: row.error,
    skipped: row.skipped,
    changeId: row.change_id,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

function fileView(row: RulePackFile): RulePackFileView {
  const report = row.report as unknown as FileReport | null;
  return {
    path: row.path,
    namespace: row.namespace,
    bytes: Buffer.byteLength(row.source),
    accepted: row.accepted_source !== null,
    ...(report ?? {}),
  };
}
