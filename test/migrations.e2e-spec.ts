import { createHash } from 'node:crypto';
import { Kysely, Migrator, sql } from 'kysely';
import { deliveryResultMessage } from '@sigdesk/notifications';
import { ruleRevision, rulesHash } from '@sigdesk/signatures';
import { DatabaseAtMigration, databaseAtMigration } from '@sigdesk/testing';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A migration that moves data is tested on data, not only on the empty template. */
describe('migration 2026_11_30_0005_versioned_content', () => {
  let db: Kysely<unknown>;
  let migrator: Migrator;
  let database: DatabaseAtMigration;

  beforeAll(async () => {
    database = await databaseAtMigration('2026_11_30_0002_sample_object_claims');
    ({ db, migrator } = database);
  });
  afterAll(async () => {
    await database?.drop();
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

/** What earlier versions recorded (the socket's error) must not stay readable after the upgrade. */
describe('migration 2026_11_30_0030_webhook_delivery_results', () => {
  let db: Kysely<unknown>;
  let migrator: Migrator;
  let database: DatabaseAtMigration;

  beforeAll(async () => {
    database = await databaseAtMigration('2026_11_30_0012_outbox_claims_and_reconciliation');
    ({ db, migrator } = database);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('rewrites the recorded socket errors of earlier deliveries into the coarse results', async () => {
    const one = async <T>(query: { execute(db: Kysely<unknown>): Promise<{ rows: unknown[] }> }) =>
      (await query.execute(db)).rows[0] as T;
    const org = await one<{ id: string }>(
      sql`INSERT INTO organizations (name, timezone, country) VALUES ('o', 'Europe/Madrid', 'ES') RETURNING id`,
    );
    const key = await one<{ id: string }>(sql`
      INSERT INTO api_keys (name, role, organization_id, key_hash, key_prefix)
      VALUES ('k', 'customer', ${org.id}, 'h', 'p') RETURNING id`);
    const hook = await one<{ id: string }>(sql`
      INSERT INTO webhooks (organization_id, url, secret, created_by)
      VALUES (${org.id}, 'http://127.0.0.1:5432/', 's', ${key.id}) RETURNING id`);
    const rows: Array<[string, string, number | null, string | null]> = [
      ['closed port', 'pending', null, 'fetch failed: ECONNREFUSED'],
      ['database', 'pending', null, 'fetch failed: UND_ERR_SOCKET'],
      ['tarpit', 'failed', null, 'no answer within 10 s'],
      ['server error', 'pending', 500, 'HTTP 500 Internal Server Error'],
      ['redirect', 'pending', 302, 'HTTP 302 Found (redirects are not followed)'],
      ['disabled', 'failed', null, 'webhook disabled'],
      ['delivered', 'delivered', 200, null],
      ['not tried', 'pending', null, null],
    ];
    for (const [label, status, code, error] of rows) {
      await sql`
        INSERT INTO webhook_deliveries (webhook_id, event_type, payload, status, last_status_code, last_error)
        VALUES (${hook.id}, ${label}, '{}', ${status}, ${code}, ${error})`.execute(db);
    }

    const result = await migrator.migrateToLatest();
    expect(result.error).toBeUndefined();

    const after = (
      await sql<{
        event_type: string;
        last_result: string | null;
        last_status_code: number | null;
        last_error: string | null;
      }>`
        SELECT event_type, last_result, last_status_code, last_error FROM webhook_deliveries`.execute(db)
    ).rows;
    const byLabel = Object.fromEntries(after.map((r) => [r.event_type, r]));
    const expected = (label: string, result: string | null, code: number | null) => ({
      event_type: label,
      last_result: result,
      last_status_code: code,
      last_error: result === null ? null : deliveryResultMessage(result as never, code),
    });
    expect(byLabel).toEqual({
      'closed port': expected('closed port', 'unreachable', null),
      database: expected('database', 'unreachable', null),
      tarpit: expected('tarpit', 'unreachable', null),
      'server error': expected('server error', 'receiver_error', 500),
      redirect: expected('redirect', 'receiver_error', 302),
      disabled: expected('disabled', 'webhook_disabled', null),
      delivered: expected('delivered', 'delivered', 200),
      'not tried': expected('not tried', null, null),
    });
    expect(JSON.stringify(after)).not.toMatch(/ECONNREFUSED|UND_ERR|within 10 s|Internal Server Error|Found/);
  });
});
