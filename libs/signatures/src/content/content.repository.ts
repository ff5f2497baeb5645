import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { AdvisoryLock } from '@sigdesk/db';
import type { DB, RuleProvenance, RuleRevision } from '@sigdesk/db';
import { byName, ContentRule, rulesHash, SignatureContent, VersionedContent } from './signature-content';

/**
 * Signature content per channel and version. A version's row names its rule revisions; a version without a row of
 * its own (a baseline release registered from outside) has the content of the newest row below it, and a channel
 * with no row at all has the base ruleset.
 */
@Injectable()
export class ContentRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  /** The content in force at `version` of the channel (null: the base ruleset). */
  async contentAt(channel: string, version: number | null, executor: Kysely<DB> = this.db): Promise<VersionedContent> {
    const row =
      version === null
        ? undefined
        : await executor
            .selectFrom('signature_contents')
            .selectAll()
            .where('channel', '=', channel)
            .where('version', '<=', version)
            .orderBy('version', 'desc')
            .limit(1)
            .executeTakeFirst();
    if (!row) return { channel, version, content: await this.baseContent(executor) };
    const revisions =
      row.rules.length === 0
        ? []
        : await executor.selectFrom('rule_revisions').selectAll().where('sha256', 'in', row.rules).execute();
    return { channel, version, content: { rules: revisions.map(toRule).sort(byName), allowlist: row.allowlist } };
  }

  /**
   * The rule named `name` in the content in force at `version` of the channel, if it holds one: one lookup by name
   * (rule_revisions_name_idx) rather than reading a version's thousands of rules.
   */
  async ruleAt(channel: string, version: number | null, name: string): Promise<ContentRule | undefined> {
    const row =
      version === null
        ? undefined
        : await this.db
            .selectFrom('signature_contents')
            .select('version')
            .where('channel', '=', channel)
            .where('version', '<=', version)
            .orderBy('version', 'desc')
            .limit(1)
            .executeTakeFirst();
    let query = this.db.selectFrom('rule_revisions as r').selectAll('r').where('r.name', '=', name);
    query = row
      ? query.where(
          sql<boolean>`r.sha256 = ANY (SELECT unnest(rules) FROM signature_contents WHERE channel = ${channel} AND version = ${row.version})`,
        )
      : query.where('r.base', '=', true);
    const found = await query.limit(1).executeTakeFirst();
    return found && toRule(found);
  }

  /**
   * The files of the pack named `pack` in the content in force at `version` of the channel (none in the base
   * ruleset), in the order of their namespaces: what an import of a pack of that name would replace.
   */
  async packFilesAt(
    channel: string,
    version: number | null,
    pack: string,
  ): Promise<Array<{ namespace: string; file: string; importId: string }>> {
    if (version === null) return [];
    const { rows } = await sql<{ namespace: string; provenance: RuleProvenance }>`
      SELECT r.namespace, r.provenance FROM rule_revisions r
      WHERE r.sha256 = ANY (
          SELECT unnest(rules) FROM signature_contents WHERE channel = ${channel} AND version = (
            SELECT max(version) FROM signature_contents WHERE channel = ${channel} AND version <= ${version}))
        AND r.provenance->>'pack' = ${pack}
      ORDER BY r.namespace COLLATE "C"`.execute(this.db);
    return rows.map((r) => ({ namespace: r.namespace, file: r.provenance.file, importId: r.provenance.importId }));
  }

  /**
   * The newest version of a channel whose content is known: a stored or published build, or a registered release.
   * New changes are proven against it and the next build starts from it.
   */
  async headVersion(channel: string, executor: Kysely<DB> = this.db): Promise<number | null> {
    const { rows } = await sql<{ version: number | null }>`
      SELECT max(version) AS version FROM (
        SELECT version FROM database_builds WHERE channel = ${channel} AND status IN ('stored', 'published')
        UNION ALL SELECT version FROM database_releases WHERE channel = ${channel}) v`.execute(executor);
    return rows[0]?.version ?? null;
  }

  /** Every channel that has a release, a build or content of its own. */
  async channels(): Promise<string[]> {
    const { rows } = await sql<{ channel: string }>`
      SELECT channel FROM database_releases UNION SELECT channel FROM database_builds
      UNION SELECT channel FROM signature_contents ORDER BY channel`.execute(this.db);
    return rows.map((r) => r.channel);
  }

  async baseContent(executor: Kysely<DB> = this.db): Promise<SignatureContent> {
    const revisions = await executor.selectFrom('rule_revisions').selectAll().where('base', '=', true).execute();
    return { rules: revisions.map(toRule).sort(byName), allowlist: [] };
  }

  /** Records the content of a new version (its new rule revisions too), in the caller's transaction. */
  async saveContent(
    trx: Transaction<DB>,
    channel: string,
    version: number,
    parentVersion: number | null,
    content: SignatureContent,
  ): Promise<void> {
    if (content.rules.length > 0) {
      await trx
        .insertInto('rule_revisions')
        .values(
          content.rules.map((r) => ({
            sha256: r.sha256,
            name: r.name,
            source: r.source,
            case_id: r.caseId,
            change_id: r.changeId,
            namespace: r.namespace,
            provenance: r.provenance && JSON.stringify(r.provenance),
          })),
        )
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
    }
    await trx
      .insertInto('signature_contents')
      .values({
        channel,
        version,
        parent_version: parentVersion,
        rules: content.rules.map((r) => r.sha256),
        allowlist: JSON.stringify(content.allowlist),
        rules_sha256: rulesHash(content.rules),
      })
      .execute();
  }

  /** Loads the base ruleset once (first start); a no-op when it exists. */
  async seedBase(rules: Array<{ name: string; source: string; sha256: string }>): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${AdvisoryLock.BaseRuleset})`.execute(trx);
      const existing = await trx.selectFrom('rule_revisions').select('sha256').limit(1).executeTakeFirst();
      if (existing || rules.length === 0) return 0;
      await trx
        .insertInto('rule_revisions')
        .values(rules.map((r) => ({ sha256: r.sha256, name: r.name, source: r.source, base: true })))
        .execute();
      return rules.length;
    });
  }
}

function toRule(r: RuleRevision): ContentRule {
  return {
    name: r.name,
    source: r.source,
    sha256: r.sha256,
    caseId: r.case_id,
    changeId: r.change_id,
    namespace: r.namespace,
    provenance: r.provenance,
  };
}
