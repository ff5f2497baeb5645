import { Inject, Injectable } from '@nestjs/common';
import { Insertable, Kysely, sql, Transaction } from 'kysely';
import type { DB, Rule, SignatureChange, SignatureChangesTable, SignatureChangeStatus } from '@sigdesk/db';

export interface CorpusFile {
  sha256: string;
  name: string;
  size: number;
  storageKey: string;
}

/** The signature state (rules, allow-list), the changes to it, and the clean corpus. */
@Injectable()
export class SignaturesRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  enabledRules(): Promise<Rule[]> {
    return this.db.selectFrom('rules').selectAll().where('enabled', '=', true).orderBy('name').execute();
  }

  findRule(name: string): Promise<Rule | undefined> {
    return this.db.selectFrom('rules').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** What identifies the current rules and allow-list: changes whenever either changes. */
  async stateFingerprint(): Promise<string> {
    const { rows } = await sql<{ f: string }>`
      SELECT concat_ws('|',
        (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM rules),
        (SELECT count(*) || ':' || coalesce(max(created_at)::text, '') FROM allowlist_entries)) AS f`.execute(this.db);
    return rows[0].f;
  }

  async allowlist(now: Date): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('allowlist_entries')
      .select('sha256')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return new Set(rows.map((r) => r.sha256));
  }

  /** Loads the base ruleset once (first start); a no-op when any rule exists. */
  async seedBaseRules(rules: Array<{ name: string; source: string; tags: string[] }>): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${7_100_010})`.execute(trx);
      const existing = await trx.selectFrom('rules').select('name').limit(1).executeTakeFirst();
      if (existing || rules.length === 0) return 0;
      await trx
        .insertInto('rules')
        .values(rules.map((r) => ({ name: r.name, source: r.source, tags: r.tags })))
        .execute();
      await trx
        .insertInto('rule_versions')
        .values(rules.map((r) => ({ rule_name: r.name, version: 1, source: r.source, enabled: true })))
        .execute();
      return rules.length;
    });
  }

  insertChange(trx: Transaction<DB>, values: Insertable<SignatureChangesTable>): Promise<SignatureChange> {
    return trx.insertInto('signature_changes').values(values).returningAll().executeTakeFirstOrThrow();
  }

  findChange(id: string): Promise<SignatureChange | undefined> {
    return this.db.selectFrom('signature_changes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  lockChange(trx: Transaction<DB>, id: string): Promise<SignatureChange | undefined> {
    return trx.selectFrom('signature_changes').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** Changes still open (not rejected or failed) that already name this rule. */
  openChangesNaming(ruleName: string): Promise<Array<{ id: string }>> {
    return this.db
      .selectFrom('signature_changes')
      .select('id')
      .where('rule_name', '=', ruleName)
      .where('status', 'in', ['validating', 'validated', 'approved'])
      .execute();
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

  /**
   * Approves under a transaction-level lock, so that approval numbers are handed out in commit order: the feed
   * read by release tooling never skips a change that commits after a later-numbered one.
   */
  async approve(trx: Transaction<DB>, id: string, approver: string, note: string | null, now: Date) {
    await sql`SELECT pg_advisory_xact_lock(${7_100_011})`.execute(trx);
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

  /** Samples of other confirmed false negatives: what every change must keep detecting. */
  async regressionSamples(exceptCaseId: string): Promise<Array<{ sha256: string; caseId: string; reference: string }>> {
    const rows = await this.db
      .selectFrom('cases as c')
      .innerJoin('case_samples as cs', 'cs.case_id', 'c.id')
      .select(['cs.sha256', 'c.id as caseId', 'c.reference'])
      .where('c.kind', '=', 'false_negative')
      .where('c.status', 'in', ['fix_scheduled', 'fixed'])
      .where('c.id', '!=', exceptCaseId)
      .execute();
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.sha256) && seen.add(r.sha256));
  }

  async corpusFiles(): Promise<CorpusFile[]> {
    const rows = await this.db.selectFrom('clean_corpus_files').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ sha256: r.sha256, name: r.name, size: Number(r.size), storageKey: r.storage_key }));
  }

  async addCorpusFile(file: CorpusFile, addedBy: string | null): Promise<boolean> {
    const inserted = await this.db
      .insertInto('clean_corpus_files')
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

  /** Makes built changes the current content (rules and allow-list), each rule change kept in its history. */
  async applyBuiltChanges(trx: Transaction<DB>, changes: SignatureChange[], version: number): Promise<void> {
    const now = new Date();
    for (const change of changes) {
      if (change.sha256) {
        await trx
          .insertInto('allowlist_entries')
          .values({
            sha256: change.sha256,
            reason: change.reason ?? 'false positive',
            case_id: change.case_id,
            change_id: change.id,
          })
          .onConflict((oc) => oc.column('sha256').doNothing())
          .execute();
      }
      if (change.target_rule && change.target_rule !== change.rule_name) {
        await this.writeRule(trx, change.target_rule, undefined, false, change, now);
      }
      if (change.rule_name && change.rule_source) {
        await this.writeRule(trx, change.rule_name, change.rule_source, true, change, now);
      }
      await trx
        .updateTable('signature_changes')
        .set({ status: 'built', build_version: version, updated_at: now })
        .where('id', '=', change.id)
        .execute();
    }
  }

  private async writeRule(
    trx: Transaction<DB>,
    name: string,
    source: string | undefined,
    enabled: boolean,
    change: SignatureChange,
    now: Date,
  ): Promise<void> {
    const existing = await trx.selectFrom('rules').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
    const version = (existing?.version ?? 0) + 1;
    const text = source ?? existing?.source ?? '';
    if (existing) {
      await trx
        .updateTable('rules')
        .set({ source: text, enabled, version, change_id: change.id, case_id: change.case_id, updated_at: now })
        .where('name', '=', name)
        .execute();
    } else {
      await trx
        .insertInto('rules')
        .values({
          name,
          source: text,
          enabled,
          change_id: change.id,
          case_id: change.case_id,
          version,
          updated_at: now,
        })
        .execute();
    }
    await trx
      .insertInto('rule_versions')
      .values({ rule_name: name, version, source: text, enabled, change_id: change.id })
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
