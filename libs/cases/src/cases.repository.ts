import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction, Updateable } from 'kysely';
import type { Case, CaseEvent, CaseKind, CasesTable, CaseStatus, DB, NewCase, Role } from '@sigdesk/db';
import type { PagePosition } from '@sigdesk/http';

/** A sample as an upload records it: its SHA-1 and MD5 come later (see {@link CasesRepository.recordDigests}). */
export interface SampleRecord {
  sha256: string;
  size: number;
  type: string;
  storageKey: string;
}

export interface CaseSampleRow {
  sha256: string;
  /** null until the intake job (or, for a reply's sample, the sample's digest job) has computed them */
  sha1: string | null;
  md5: string | null;
  size: string;
  type: string;
  file_name: string;
  archive_path: string | null;
}

/** What `q` of a case list names: one case by its reference, or the cases with a sample. */
export type CaseSearch = { reference: string } | { sha256: string };

export interface NewCaseEvent {
  caseId: string;
  type: string;
  fromStatus?: CaseStatus | null;
  toStatus?: CaseStatus | null;
  actorKeyId: string | null;
  actorUserId?: string | null;
  actorName?: string | null;
  actorRole: Role | 'system';
  data?: Record<string, unknown>;
}

@Injectable()
export class CasesRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** Human-readable, unique, never reused: `SD-2026-000042`. */
  async nextReference(trx: Transaction<DB>, now: Date): Promise<string> {
    const { rows } = await sql<{ n: string }>`SELECT nextval('case_reference_seq') AS n`.execute(trx);
    return `SD-${now.getUTCFullYear()}-${rows[0].n.padStart(6, '0')}`;
  }

  insertCase(trx: Transaction<DB>, values: NewCase): Promise<Case> {
    return trx.insertInto('cases').values(values).returningAll().executeTakeFirstOrThrow();
  }

  update(trx: Transaction<DB>, id: string, changes: Updateable<CasesTable>): Promise<Case> {
    return trx.updateTable('cases').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  async upsertSamples(trx: Transaction<DB>, samples: SampleRecord[]): Promise<void> {
    if (samples.length === 0) return;
    await trx
      .insertInto('samples')
      .values(
        samples.map((s) => ({
          sha256: s.sha256,
          size: s.size,
          type: s.type,
          storage_key: s.storageKey,
        })),
      )
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }

  /** Records a sample's SHA-1 and MD5 where they are missing: a job run twice, or two cases' jobs, write them once. */
  async recordDigests(sha256: string, digests: { sha1: string; md5: string }): Promise<void> {
    await this.db
      .updateTable('samples')
      .set({ sha1: digests.sha1, md5: digests.md5 })
      .where('sha256', '=', sha256)
      .where((eb) => eb.or([eb('sha1', 'is', null), eb('md5', 'is', null)]))
      .execute();
  }

  /** Those of `sha256s` still without their SHA-1 or MD5. */
  async withoutDigests(sha256s: string[]): Promise<string[]> {
    if (sha256s.length === 0) return [];
    const rows = await this.db
      .selectFrom('samples')
      .select('sha256')
      .where('sha256', 'in', sha256s)
      .where((eb) => eb.or([eb('sha1', 'is', null), eb('md5', 'is', null)]))
      .orderBy('sha256')
      .execute();
    return rows.map((r) => r.sha256);
  }

  /**
   * Samples still without their SHA-1 or MD5 whose cases have all completed intake (the intake job computes its own
   * case's), by SHA-256 after `afterSha256` (samples_digests_pending_idx): a reply's samples whose job was lost.
   */
  async awaitingDigests(afterSha256: string | undefined, limit: number): Promise<string[]> {
    let query = this.db
      .selectFrom('samples')
      .select('sha256')
      .where((eb) => eb.or([eb('sha1', 'is', null), eb('md5', 'is', null)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('case_samples as cs')
              .innerJoin('cases as c', 'c.id', 'cs.case_id')
              .select('cs.case_id')
              .whereRef('cs.sha256', '=', 'samples.sha256')
              .where('c.intake_completed_at', 'is', null),
          ),
        ),
      );
    if (afterSha256) query = query.where('sha256', '>', afterSha256);
    const rows = await query.orderBy('sha256').limit(limit).execute();
    return rows.map((r) => r.sha256);
  }

  async linkSamples(
    trx: Transaction<DB>,
    caseId: string,
    links: Array<{ sha256: string; fileName: string; archivePath: string | null }>,
    firstPosition = 0,
  ): Promise<void> {
    if (links.length === 0) return;
    await trx
      .insertInto('case_samples')
      .values(
        links.map((l, position) => ({
          case_id: caseId,
          sha256: l.sha256,
          file_name: l.fileName,
          archive_path: l.archivePath,
          position: firstPosition + position,
        })),
      )
      .execute();
  }

  async addEvent(trx: Transaction<DB> | Kysely<DB>, event: NewCaseEvent): Promise<void> {
    await trx
      .insertInto('case_events')
      .values({
        case_id: event.caseId,
        type: event.type,
        from_status: event.fromStatus ?? null,
        to_status: event.toStatus ?? null,
        actor_key_id: event.actorKeyId,
        actor_user_id: event.actorUserId ?? null,
        actor_name: event.actorName ?? null,
        actor_role: event.actorRole,
        data: JSON.stringify(event.data ?? {}),
      })
      .execute();
  }

  async anyMsaStart(trx: Transaction<DB>, caseIds: string[]): Promise<boolean> {
    if (caseIds.length === 0) return false;
    const row = await trx
      .selectFrom('cases')
      .select('id')
      .where('id', 'in', caseIds)
      .where('tier', '=', 'msa_start')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async markIntakeCompleted(trx: Transaction<DB>, id: string, now: Date): Promise<void> {
    await trx.updateTable('cases').set({ intake_completed_at: now }).where('id', '=', id).execute();
  }

  /**
   * Cases whose intake (samples verified, triage) has not completed, by id after `afterId`: each must have an
   * intake job. Served by cases_intake_pending_idx.
   */
  async awaitingIntake(afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('cases').select('id').where('intake_completed_at', 'is', null);
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /** Cases waiting for a fix that the publication of `version` of their channel delivers, locked. */
  fixedByPublication(trx: Transaction<DB>, channel: string, version: number): Promise<Case[]> {
    return trx
      .selectFrom('cases')
      .selectAll()
      .where('status', '=', 'fix_scheduled')
      .where('database_channel', '=', channel)
      .where('scheduled_fix_version', '<=', version)
      .orderBy('id')
      .forUpdate()
      .execute();
  }

  /** `executor`: a transaction, e.g. a {@link snapshot}. */
  findById(id: string, executor: Kysely<DB> = this.db): Promise<Case | undefined> {
    return executor.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Reads that must agree with each other (a case row and its events: a timeline showing a breach beside an SLA
   * without one) see one snapshot of the database.
   */
  snapshot<T>(read: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
  }

  /** `executor`: a transaction, to read what it has written before it commits. */
  samplesOf(caseId: string, executor: Kysely<DB> = this.db): Promise<CaseSampleRow[]> {
    return executor
      .selectFrom('case_samples as cs')
      .innerJoin('samples as s', 's.sha256', 'cs.sha256')
      .select(['s.sha256', 's.sha1', 's.md5', 's.size', 's.type', 'cs.file_name', 'cs.archive_path'])
      .where('cs.case_id', '=', caseId)
      .orderBy('cs.position')
      .execute();
  }

  eventsOf(caseId: string, executor: Kysely<DB> = this.db): Promise<CaseEvent[]> {
    return executor.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('id').execute();
  }

  list(filter: {
    organizationId?: string;
    status?: CaseStatus;
    kind?: CaseKind;
    /** a case reference (unique index) or a sample's SHA-256 (case_samples_sha256_idx) */
    search?: CaseSearch;
    after?: PagePosition;
    limit: number;
  }): Promise<Case[]> {
    let query = this.db.selectFrom('cases').selectAll();
    if (filter.organizationId) query = query.where('organization_id', '=', filter.organizationId);
    const search = filter.search;
    if (search && 'reference' in search) query = query.where('reference', '=', search.reference);
    if (search && 'sha256' in search) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('case_samples as cs')
            .select('cs.case_id')
            .whereRef('cs.case_id', '=', 'cases.id')
            .where('cs.sha256', '=', search.sha256),
        ),
      );
    }
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.after) {
      const { createdAt, id } = filter.after;
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', new Date(createdAt)),
          eb.and([eb('created_at', '=', new Date(createdAt)), eb('id', '<', id)]),
        ]),
      );
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  }

  /**
   * The group a new case joins: the first open case that has one of these samples (its own group's first case
   * when it joined one). Null when no open case shares a sample.
   */
  async openGroupWithSamples(trx: Transaction<DB>, hashes: string[]): Promise<string | null> {
    if (hashes.length === 0) return null;
    const row = await trx
      .selectFrom('cases as c')
      .innerJoin('case_samples as cs', 'cs.case_id', 'c.id')
      .select(['c.id', 'c.group_id'])
      .where('cs.sha256', 'in', hashes)
      .where('c.status', 'in', ['received', 'queued', 'in_review', 'awaiting_customer', 'confirmed'])
      .orderBy('c.created_at')
      .limit(1)
      .executeTakeFirst();
    return row ? (row.group_id ?? row.id) : null;
  }

  /** Of these hashes, the ones a samples row already records (their objects are referenced and kept). */
  async knownSamples(hashes: string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.db.selectFrom('samples').select('sha256').where('sha256', 'in', hashes).execute();
    return new Set(rows.map((r) => r.sha256));
  }

  /** The case, locked for the rest of the transaction: changes are decided on what is current. */
  lockCase(trx: Transaction<DB>, id: string): Promise<Case | undefined> {
    return trx.selectFrom('cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** {@link lockCase} for a case that must exist (a foreign key or an earlier read says so). */
  async lockExistingCase(trx: Transaction<DB>, id: string): Promise<Case> {
    const found = await this.lockCase(trx, id);
    if (!found) throw new Error(`case ${id} does not exist`);
    return found;
  }
}
