import { Inject, Injectable } from '@nestjs/common';
import { Insertable, Kysely, sql, Transaction } from 'kysely';
import { AdvisoryLock } from '@sigdesk/db';
import type { DB, SignatureChange, SignatureChangesTable, SignatureChangeStatus } from '@sigdesk/db';
import { StorageKeys } from '@sigdesk/storage';
import type { ContentChange, SignatureContent } from './content/signature-content';
import type { ScanTarget } from './signature-engine';

export type Corpus = 'clean' | 'regression';
const CORPUS_TABLES = { clean: 'clean_corpus_files', regression: 'regression_corpus_files' } as const;

export interface CorpusFile {
  sha256: string;
  name: string;
  size: number;
  storageKey: string;
}

/** Signature changes, the clean corpus and the regression collection. */
@Injectable()
export class SignaturesRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  insertChange(trx: Transaction<DB>, values: Insertable<SignatureChangesTable>): Promise<SignatureChange> {
    return trx.insertInto('signature_changes').values(values).returningAll().executeTakeFirstOrThrow();
  }

  findChange(id: string): Promise<SignatureChange | undefined> {
    return this.db.selectFrom('signature_changes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The changes with the files of those that import a rule pack (the files as accepted, in the pack's order). */
  async withSources<C extends ContentChange & { rule_pack_import_id: string | null }>(changes: C[]): Promise<C[]> {
    const imports = changes.flatMap((c) => (c.rule_pack_import_id ? [c.rule_pack_import_id] : []));
    if (imports.length === 0) return changes;
    const files = await this.db
      .selectFrom('rule_pack_files as f')
      .innerJoin('rule_pack_imports as i', 'i.id', 'f.import_id')
      .select(['f.import_id', 'f.path', 'f.namespace', 'f.accepted_source', 'i.pack_name', 'i.summary'])
      .where('f.import_id', 'in', imports)
      .where('f.accepted_source', 'is not', null)
      .orderBy('f.import_id')
      .orderBy('f.position')
      .execute();
    return changes.map((change) =>
      change.rule_pack_import_id
        ? {
            ...change,
            packCostMs: packCost(files.find((f) => f.import_id === change.rule_pack_import_id)?.summary),
            sources: files
              .filter((f) => f.import_id === change.rule_pack_import_id)
              .map((f) => ({
                namespace: f.namespace,
                path: f.path,
                source: f.accepted_source!,
                provenance: { pack: f.pack_name, file: f.path, importId: f.import_id },
              })),
          }
        : change,
    );
  }

  /** Whether an open change (not rejected, not yet built) of the channel adds a rule of this name. */
  async openChangeAddsRule(channel: string, ruleName: string): Promise<boolean> {
    const found = await this.db
      .selectFrom('signature_changes')
      .select('id')
      .where('channel', '=', channel)
      .where('rule_name', '=', ruleName)
      .where('status', 'in', ['validating', 'validated', 'approved'])
      .executeTakeFirst();
    return found !== undefined;
  }

  /**
   * Changes whose validation passed and that wait for a second analyst, the longest waiting first, with their case
   * (or the rule pack they import) and the name of their author. Served by signature_changes_awaiting_approval_idx.
   */
  awaitingApproval(after: { validatedAt: Date; id: string } | undefined, limit: number) {
    let query = this.db
      .selectFrom('signature_changes as sc')
      .leftJoin('cases as c', 'c.id', 'sc.case_id')
      .leftJoin('rule_pack_imports as i', 'i.id', 'sc.rule_pack_import_id')
      .leftJoin('users as u', 'u.id', 'sc.author')
      .leftJoin('api_keys as k', 'k.id', 'sc.author')
      .selectAll('sc')
      .select([
        'c.reference as case_reference',
        'c.kind as case_kind',
        'c.tier as case_tier',
        'c.severity as case_severity',
        'c.premium as case_premium',
        'i.pack_name',
        (eb) => eb.fn.coalesce('u.display_name', 'k.name').as('author_name'),
      ])
      .where('sc.status', '=', 'validated');
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('sc.validated_at', '>', after.validatedAt),
          eb.and([eb('sc.validated_at', '=', after.validatedAt), eb('sc.id', '>', after.id)]),
        ]),
      );
    }
    return query.orderBy('sc.validated_at').orderBy('sc.id').limit(limit).execute();
  }

  /** The names people and keys go by, for the authors and approvers of changes. */
  async actorNames(ids: string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return new Map();
    const [people, keys] = await Promise.all([
      this.db.selectFrom('users').select(['id', 'display_name as name']).where('id', 'in', wanted).execute(),
      this.db.selectFrom('api_keys').select(['id', 'name']).where('id', 'in', wanted).execute(),
    ]);
    return new Map([...keys, ...people].map((row) => [row.id, row.name]));
  }

  lockChange(trx: Transaction<DB>, id: string): Promise<SignatureChange | undefined> {
    return trx.selectFrom('signature_changes').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  async setProgress(id: string, progress: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('signature_changes')
      .set({ progress: JSON.stringify(progress), updated_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'validating')
      .execute();
  }

  /** Records the report once: a second run of the same validation finds the change no longer validating. */
  async finishValidation(id: string, passed: boolean, report: Record<string, unknown>, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('signature_changes')
      .set({
        status: passed ? 'validated' : 'validation_failed',
        report: JSON.stringify(report),
        validated_at: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('status', '=', 'validating')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Changes whose validation has not finished, by id after `afterId`. Served by signature_changes_validating_idx. */
  async validatingChanges(afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('signature_changes').select('id').where('status', '=', 'validating');
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /**
   * Approves under a transaction-level lock, so that approval numbers are handed out in commit order: the feed
   * read by release tooling never skips a change that commits after a later-numbered one.
   */
  async approve(trx: Transaction<DB>, id: string, approver: string, note: string | null, now: Date) {
    await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.ChangeApproval})`.execute(trx);
    return trx
      .updateTable('signature_changes')
      .set({
        status: 'approved',
        approved_by: approver,
        approved_at: now,
        decision_note: note,
        approval_seq: sql<string>`nextval('signature_change_approval_seq')`,
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async setStatus(trx: Transaction<DB>, id: string, status: SignatureChangeStatus, note: string | null, now: Date) {
    return trx
      .updateTable('signature_changes')
      .set({ status, decision_note: note, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  feed(status: SignatureChangeStatus, afterSeq: string | undefined, limit: number): Promise<SignatureChange[]> {
    let query = this.db
      .selectFrom('signature_changes')
      .selectAll()
      .where('status', '=', status)
      .where('approval_seq', 'is not', null);
    if (afterSeq) query = query.where('approval_seq', '>', afterSeq);
    return query.orderBy('approval_seq').limit(limit).execute();
  }

  /**
   * The regression collection: every sample of a confirmed false negative (by an analyst, or by a release that
   * detects it), the samples each rule of `content` was written for, and the admins' malware collection; each once.
   */
  async regressionCollection(content: SignatureContent): Promise<ScanTarget[]> {
    const ruleCases = [...new Set(content.rules.flatMap((r) => (r.caseId ? [r.caseId] : [])))];
    const samples = await this.db
      .selectFrom('cases as c')
      .innerJoin('case_samples as cs', 'cs.case_id', 'c.id')
      .innerJoin('samples as s', 's.sha256', 'cs.sha256')
      .select(['cs.sha256', 'c.reference', 'cs.file_name', 'cs.archive_path', 's.type'])
      .where('c.kind', '=', 'false_negative')
      // confirmed by an analyst, or by a database version that detects it (fixed at triage)
      .where((eb) =>
        eb.or([
          eb('c.verdict', '=', 'confirmed'),
          eb('c.status', 'in', ['fix_scheduled', 'fixed']),
          ...(ruleCases.length ? [eb('c.id', 'in', ruleCases)] : []),
        ]),
      )
      .orderBy('cs.sha256')
      .execute();
    const collection = await this.db.selectFrom('regression_corpus_files').selectAll().orderBy('sha256').execute();
    const targets = new Map<string, ScanTarget>();
    for (const s of samples) {
      if (targets.has(s.sha256)) continue;
      targets.set(s.sha256, {
        file: `${s.reference}:${s.archive_path ?? s.file_name}`,
        sha256: s.sha256,
        storageKey: StorageKeys.sample(s.sha256),
        name: s.archive_path ?? s.file_name,
        type: s.type,
      });
    }
    for (const f of collection) {
      if (!targets.has(f.sha256)) {
        targets.set(f.sha256, {
          file: `regression-corpus:${f.name}`,
          sha256: f.sha256,
          storageKey: f.storage_key,
          name: f.name,
        });
      }
    }
    return [...targets.values()];
  }

  /** The files of a corpus: known-clean files (`clean`), or the admins' malware collection (`regression`). */
  async corpusFiles(corpus: Corpus = 'clean'): Promise<CorpusFile[]> {
    const rows = await this.db.selectFrom(CORPUS_TABLES[corpus]).selectAll().orderBy('name').execute();
    return rows.map((r) => ({ sha256: r.sha256, name: r.name, size: Number(r.size), storageKey: r.storage_key }));
  }

  /** Adds a file to a corpus; false when it was there already. */
  async addCorpusFile(file: CorpusFile, addedBy: string | null, corpus: Corpus = 'clean'): Promise<boolean> {
    const inserted = await this.db
      .insertInto(CORPUS_TABLES[corpus])
      .values({
        sha256: file.sha256,
        name: file.name,
        size: file.size,
        storage_key: file.storageKey,
        added_by: addedBy,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .returning('sha256')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async markBuilt(trx: Transaction<DB>, changeIds: string[], version: number, now: Date): Promise<void> {
    if (changeIds.length === 0) return;
    await trx
      .updateTable('signature_changes')
      .set({ status: 'built', build_version: version, updated_at: now })
      .where('id', 'in', changeIds)
      .execute();
  }

  async returnToAuthor(trx: Transaction<DB>, changeId: string, note: string): Promise<void> {
    await trx
      .updateTable('signature_changes')
      .set({ status: 'validation_failed', decision_note: note, updated_at: new Date() })
      .where('id', '=', changeId)
      .execute();
  }
}

/** What an import's analysis measured its pack's clean-corpus scan to cost (0 when it did not say). */
function packCost(summary: Record<string, unknown> | null | undefined): number {
  const cost = (summary?.cleanCorpus as { cpuMillis?: unknown } | undefined)?.cpuMillis;
  return typeof cost === 'number' && Number.isFinite(cost) ? cost : 0;
}
