import { createHash, randomBytes } from 'node:crypto';
import { Kysely, Migrator, sql } from 'kysely';
import { Client } from 'pg';
import { createDatabase, migrations } from '@sigdesk/db';
import { ruleRevision, rulesHash } from '@sigdesk/signatures';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A migration that moves data is tested on data, not only on the empty template. */
describe('migration 2026_11_30_0005_versioned_content', () => {
  const adminUrl = process.env.SIGDESK_TEST_ADMIN_URL!;
  const name = `sigdesk_migration_${randomBytes(4).toString('hex')}`;
  let db: Kysely<unknown>;
  let migrator: Migrator;

  beforeAll(async () => {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    db = createDatabase(url.toString(), 2) as unknown as Kysely<unknown>;
    migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const before = await migrator.migrateTo('2026_11_30_0002_sample_object_claims');
    if (before.error) throw before.error;
  });
  afterAll(async () => {
    await db?.destroy();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('turns the channel-less rules and allow-list into versioned content that reads back the same', async () => {
    const one = <T>(q: { execute(db: Kysely<unknown>): Promise<{ rows: T[] }> }) =>
      q.execute(db).then((r) => r.rows[0]);
    const key = await one<{ id: string }>(
      sql`INSERT INTO api_keys (name, role, key_hash, key_prefix) VALUES ('a', 'analyst', 'h', 'p') RETURNING id`,
    );
    const org = await one<{ id: string }>(
      sql`INSERT INTO organizations (name, timezone, country) VALUES ('o', 'Europe/Madrid', 'ES') RETURNING id`,
    );
    const contract = await one<{ id: string }>(sql`
      INSERT INTO contracts (organization_id, tier, starts_on, ends_on, premium_total)
      VALUES (${org.id}, 'standard', '2026-01-01', '2027-01-01', 0) RETURNING id`);
    const kase = await one<{ id: string }>(sql`
      INSERT INTO cases (reference, organization_id, contract_id, tier, kind, severity, premium, status, product,
        product_version, database_channel, database_version, description, submitted_by, updated_at)
      VALUES ('SD-1', ${org.id}, ${contract.id}, 'standard', 'false_negative', 2, false, 'fixed', 'p', '1', 'beta', 1,
        'd', ${key.id}, now()) RETURNING id`);
    const added = 'rule Added_C { condition: true }';
    const change = await one<{ id: string }>(sql`
      INSERT INTO signature_changes (case_id, type, rule_name, rule_source, author, status, build_version)
      VALUES (${kase.id}, 'add_detection', 'Added_C', ${added}, ${key.id}, 'built', 2) RETURNING id`);
    await sql`INSERT INTO rules (name, source) VALUES ('Base_B', 'rule Base_B { condition: false }'),
      ('Base_a', 'rule Base_a { condition: false }')`.execute(db);
    await sql`INSERT INTO rules (name, source, change_id, case_id)
      VALUES ('Added_C', ${added}, ${change.id}, ${kase.id})`.execute(db);
    await sql`INSERT INTO rules (name, source, enabled) VALUES ('Off_D', 'rule Off_D { condition: true }', false)`.execute(
      db,
    );
    await sql`INSERT INTO allowlist_entries (sha256, reason) VALUES (${'a'.repeat(64)}, 'vendor tool')`.execute(db);
    await sql`INSERT INTO database_builds (channel, version, parent_version, kind, status, change_ids)
      VALUES ('beta', 2, 1, 'expedited', 'published', ${[change.id]}::uuid[])`.execute(db);

    const result = await migrator.migrateToLatest();
    expect(result.error).toBeUndefined();

    const revisions = (
      await sql<{ name: string; sha256: string; base: boolean; change_id: string | null }>`
        SELECT name, sha256, base, change_id FROM rule_revisions ORDER BY name COLLATE "C"`.execute(db)
    ).rows;
    expect(revisions).toEqual([
      { name: 'Added_C', sha256: sha256(added), base: false, change_id: change.id },
      { name: 'Base_B', sha256: sha256('rule Base_B { condition: false }'), base: true, change_id: null },
      { name: 'Base_a', sha256: sha256('rule Base_a { condition: false }'), base: true, change_id: null },
    ]);
    const content = await one<{
      channel: string;
      version: number;
      rules: string[];
      allowlist: unknown;
      rules_sha256: string;
    }>(sql`SELECT channel, version, rules, allowlist, rules_sha256 FROM signature_contents`);
    expect(content).toMatchObject({
      channel: 'beta',
      version: 2,
      rules: revisions.map((r) => r.sha256),
      allowlist: [expect.objectContaining({ sha256: 'a'.repeat(64), expiresAt: null, reason: 'vendor tool' })],
    });
    // the hash the database computed is the one the code computes for the same rules
    const rules = [
      ruleRevision('Added_C', added),
      ruleRevision('Base_B', 'rule Base_B { condition: false }'),
      ruleRevision('Base_a', 'rule Base_a { condition: false }'),
    ];
    expect(content.rules_sha256).toBe(rulesHash(rules));
    expect(await one(sql`SELECT channel FROM signature_changes`)).toEqual({ channel: 'beta' });
  });
});
