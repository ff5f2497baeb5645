import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  ApiClient,
  InvitedPerson,
  invitePerson,
  seedCustomer,
  SeededCustomer,
  seedKey,
  SmtpCatcher,
  startSmtpCatcher,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';

const KEYS = '/v1/organizations/current/api-keys';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe("an organisation's own API keys, managed by its admins", () => {
  let env: TestEnvironment;
  let smtp: SmtpCatcher;
  let admin: ApiClient;
  let acme: SeededCustomer;
  let globex: SeededCustomer;
  let boss: InvitedPerson;
  let plain: InvitedPerson;
  let globexBoss: InvitedPerson;

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    env = await startTestEnvironment({
      worker: false,
      // Acme holds its seeded key and at most two more
      env: { SIGDESK_SMTP_URL: smtp.url, SIGDESK_LIMIT_API_KEYS_PER_ORGANIZATION: '3' },
    });
    admin = new ApiClient(env.url, env.adminKey);
    acme = await seedCustomer(env, { name: 'Acme' });
    globex = await seedCustomer(env, { name: 'Globex' });
    boss = await invitePerson(env, smtp, {
      email: 'boss@acme.example',
      displayName: 'Marta Boss',
      role: 'customer',
      organizationId: acme.organizationId,
      organizationAdmin: true,
    });
    plain = await invitePerson(env, smtp, {
      email: 'plain@acme.example',
      displayName: 'Plain',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    globexBoss = await invitePerson(env, smtp, {
      email: 'boss@globex.example',
      displayName: 'Globex Boss',
      role: 'customer',
      organizationId: globex.organizationId,
      organizationAdmin: true,
    });
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.close();
  });

  /** Revokes every key of Acme but the seeded one, so that each test starts below the cap. */
  afterEach(async () => {
    await env.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('organization_id', '=', acme.organizationId)
      .where('key_hash', '!=', sha256(acme.key))
      .where('revoked_at', 'is', null)
      .execute();
  });

  it('makes a key shown once and stored hashed, bound to the organisation; revoked, it is refused at once', async () => {
    const made = await boss.session.post(KEYS, { name: '  SIEM integration ' });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^sdk_cus_[A-Za-z0-9_-]{43}$/),
      name: 'SIEM integration',
      prefix: made.body.key.slice(0, 12),
      createdAt: expect.any(String),
      createdBy: 'Marta Boss',
      lastUsedAt: null,
      revoked: false,
      revokedAt: null,
      revokedBy: null,
    });
    const key: string = made.body.key;
    const stored = await env.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', made.body.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      role: 'customer',
      organization_id: acme.organizationId,
      key_hash: sha256(key),
      created_by: boss.id,
      created_by_name: 'Marta Boss',
    });
    expect(JSON.stringify(stored)).not.toContain(key);

    // the key works, for Acme only
    const withKey = new ApiClient(env.url, key);
    expect((await withKey.get('/v1/submissions')).status).toBe(200);
    expect((await withKey.get('/v1/organizations/current')).body.id).toBe(acme.organizationId);

    // listed with its last use, never with the key itself
    const listed = await boss.session.get(KEYS);
    expect(listed.status).toBe(200);
    const item = listed.body.items.find((k: { id: string }) => k.id === made.body.id);
    expect(item).toMatchObject({ name: 'SIEM integration', createdBy: 'Marta Boss', revoked: false });
    expect(Date.parse(item.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(JSON.stringify(listed.body)).not.toContain(stored.key_hash);
    // the seeded key, made by sigdesk's admin key: no person's name
    expect(listed.body.items.find((k: { prefix: string }) => k.prefix === acme.key.slice(0, 12))).toMatchObject({
      createdBy: null,
      revoked: false,
    });

    // revoked: the very next request with it is refused
    const revoked = await boss.session.delete(`${KEYS}/${made.body.id}`);
    expect(revoked.status).toBe(204);
    const refused = await withKey.get('/v1/submissions');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('unauthorized');
    const after = (await boss.session.get(KEYS)).body.items.find((k: { id: string }) => k.id === made.body.id);
    expect(after).toMatchObject({ revoked: true, revokedBy: 'Marta Boss', revokedAt: expect.any(String) });
    const row = await env.db
      .selectFrom('api_keys')
      .select(['revoked_by', 'revoked_at'])
      .where('id', '=', made.body.id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_by).toBe(boss.id);

    // revoking it again changes nothing
    expect((await boss.session.delete(`${KEYS}/${made.body.id}`)).status).toBe(204);
    const again = await env.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', made.body.id)
      .executeTakeFirstOrThrow();
    expect(again.revoked_at).toEqual(row.revoked_at);
  });

  it("records a key's use at most once a minute", async () => {
    const made = await boss.session.post(KEYS, { name: 'nightly export' });
    const withKey = new ApiClient(env.url, made.body.key);
    const lastUsed = async () =>
      (
        await env.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', made.body.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    await withKey.get('/v1/submissions');
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await withKey.get('/v1/submissions');
    expect(await lastUsed()).toEqual(first);
    // a minute later it moves
    await env.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(Date.now() - 61_000) })
      .where('id', '=', made.body.id)
      .execute();
    await withKey.get('/v1/submissions');
    expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it('refuses everyone but the organisation’s admins in their session: 401 without credentials, 403 otherwise', async () => {
    const made = await boss.session.post(KEYS, { name: 'to be left alone' });
    const analyst = await seedKey(env, 'analyst');
    const anonymous = new ApiClient(env.url);
    const customerKey = acme.client;
    const callers: Array<[string, (method: string, path: string, json?: unknown) => Promise<{ status: number }>]> = [
      ['a customer without organisationAdmin', (m, p, json) => plain.session.request(m, p, { json })],
      ['a customer API key (a key cannot mint keys)', (m, p, json) => customerKey.request(m, p, { json })],
      ['an analyst key', (m, p, json) => analyst.request(m, p, { json })],
      ['the admin key', (m, p, json) => admin.request(m, p, { json })],
    ];
    for (const [who, call] of callers) {
      const list = await call('GET', KEYS);
      const create = await call('POST', KEYS, { name: 'sneaky' });
      const revoke = await call('DELETE', `${KEYS}/${made.body.id}`);
      expect([who, list.status, create.status, revoke.status]).toEqual([who, 403, 403, 403]);
    }
    const byKey = await customerKey.post(KEYS, { name: 'sneaky' });
    expect(byKey.body.error).toBe('forbidden');
    expect(byKey.body.message).toContain('API keys cannot manage API keys');
    expect((await anonymous.get(KEYS)).status).toBe(401);
    expect((await anonymous.post(KEYS, { name: 'sneaky' })).status).toBe(401);
    // nothing was made, nothing revoked
    const names = await env.db.selectFrom('api_keys').select('name').where('name', '=', 'sneaky').execute();
    expect(names).toEqual([]);
    expect((await boss.session.get(KEYS)).body.items.find((k: { id: string }) => k.id === made.body.id).revoked).toBe(
      false,
    );
  });

  it("keeps each organisation to its own keys: another's key is a 404, as one that does not exist", async () => {
    const mine = await boss.session.post(KEYS, { name: 'acme only' });
    const theirs = await globexBoss.session.post(KEYS, { name: 'globex only' });
    expect(theirs.status).toBe(201);

    const acmeList = (await boss.session.get(KEYS)).body.items.map((k: { name: string }) => k.name);
    const globexList = (await globexBoss.session.get(KEYS)).body.items.map((k: { name: string }) => k.name);
    expect(acmeList).toContain('acme only');
    expect(acmeList).not.toContain('globex only');
    expect(globexList).toEqual(['portal', 'globex only']);
    expect(globexList).not.toContain('acme only');

    const other = await boss.session.delete(`${KEYS}/${theirs.body.id}`);
    const unknown = await boss.session.delete(`${KEYS}/${randomUUID()}`);
    expect(other.status).toBe(404);
    expect(unknown.body).toEqual(other.body);
    expect((await new ApiClient(env.url, theirs.body.key).get('/v1/submissions')).status).toBe(200);
    expect((await boss.session.delete(`${KEYS}/not-a-uuid`)).status).toBe(400);
    expect((await boss.session.delete(`${KEYS}/${mine.body.id}`)).status).toBe(204);
  });

  it('refuses a bad name and a request without the CSRF token, storing nothing', async () => {
    const count = async () =>
      (await env.db.selectFrom('api_keys').select('id').where('organization_id', '=', acme.organizationId).execute())
        .length;
    const before = await count();
    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(201) },
      { name: 7 },
      { name: 'a', role: 'admin' },
    ]) {
      const refused = await boss.session.post(KEYS, body);
      expect([JSON.stringify(body), refused.status, refused.body.error]).toEqual([
        JSON.stringify(body),
        400,
        'invalid_input',
      ]);
    }
    const withoutCsrf = await boss.session.post(KEYS, { name: 'no token' }, { withoutCsrf: true });
    expect(withoutCsrf.status).toBe(403);
    expect(withoutCsrf.body.error).toBe('csrf_invalid');
    expect(await count()).toBe(before);
    expect((await boss.session.get(`${KEYS}?limit=0`)).status).toBe(400);
    expect((await boss.session.get(`${KEYS}?cursor=junk`)).status).toBe(400);
  });

  it('caps the keys in use per organisation (422 past it, counted under a lock); a revoked key frees its place', async () => {
    // the seeded key and two more: the cap of 3
    const made = await boss.session.post(KEYS, { name: 'first' });
    expect(made.status).toBe(201);
    // the last place, asked for three times at once: one gets it
    const racing = await Promise.all(['a', 'b', 'c'].map((name) => boss.session.post(KEYS, { name: `race ${name}` })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 422, 422]);
    const refused = racing.find((r) => r.status === 422)!;
    expect(refused.body).toMatchObject({ error: 'too_many_api_keys', limit: 3 });
    const active = await env.db
      .selectFrom('api_keys')
      .select('id')
      .where('organization_id', '=', acme.organizationId)
      .where('revoked_at', 'is', null)
      .execute();
    expect(active).toHaveLength(3);
    // another organisation has places of its own
    expect((await globexBoss.session.post(KEYS, { name: 'globex second' })).status).toBe(201);

    expect((await boss.session.delete(`${KEYS}/${made.body.id}`)).status).toBe(204);
    expect((await boss.session.post(KEYS, { name: 'after revoking' })).status).toBe(201);
  });

  it('pages through the keys with a cursor, oldest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await boss.session.get(`${KEYS}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((k) => k.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const all = await env.db
      .selectFrom('api_keys')
      .select('id')
      .where('organization_id', '=', acme.organizationId)
      .orderBy(sql`date_trunc('milliseconds', created_at)`)
      .orderBy('id')
      .execute();
    expect(seen).toEqual(all.map((k) => k.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('records the admin who makes and revokes a key through the admin API', async () => {
    const made = await admin.post('/v1/admin/api-keys', {
      role: 'customer',
      organizationId: acme.organizationId,
      name: 'made by sigdesk',
    });
    expect(made.status).toBe(201);
    expect((await admin.request('DELETE', `/v1/admin/api-keys/${made.body.id}`)).status).toBe(204);
    const row = await env.db
      .selectFrom('api_keys')
      .select(['created_by', 'revoked_by', 'created_by_name'])
      .where('id', '=', made.body.id)
      .executeTakeFirstOrThrow();
    const adminKey = await env.db
      .selectFrom('api_keys')
      .select('id')
      .where('key_hash', '=', sha256(env.adminKey))
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ created_by: adminKey.id, revoked_by: adminKey.id, created_by_name: null });
    const listed = (await boss.session.get(KEYS)).body.items.find((k: { id: string }) => k.id === made.body.id);
    expect(listed).toMatchObject({ createdBy: null, revokedBy: null, revoked: true });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const docs = await new ApiClient(env.url).get('/docs/openapi.json');
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([KEYS, `${KEYS}/{id}`, '/v1/invitations/{token}']),
    );
    expect(Object.keys(docs.body.paths[KEYS])).toEqual(expect.arrayContaining(['get', 'post']));
  });
});
