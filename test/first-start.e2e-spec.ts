import { createHash } from 'node:crypto';
import { formatStartupSummary, startSigdesk } from '@sigdesk/runtime';
import { ApiClient, startTestEnvironment, TestEnvironment } from '@sigdesk/testing';

describe('the first start of an installation', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    // no SIGDESK_BOOTSTRAP_ADMIN_KEY: the installation has no way in until sigdesk makes one
    env = await startTestEnvironment({ worker: false, env: { SIGDESK_BOOTSTRAP_ADMIN_KEY: '' } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('makes an admin key, shows it once, and keeps only its hash', async () => {
    const made = env.sigdesk.summary.adminKey?.made;
    expect(made).toMatch(/^sdk_adm_[\w-]{40,}$/);
    const organization = await new ApiClient(env.url, made).post('/v1/admin/organizations', {
      name: 'First Customer',
      timezone: 'Europe/Madrid',
      country: 'ES',
    });
    expect(organization.status).toBe(201);

    const rows = await env.db.selectFrom('api_keys').selectAll().where('role', '=', 'admin').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(made!).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(made!.slice(12));

    const printed = formatStartupSummary(env.sigdesk.summary);
    expect(printed).toContain(made);
    expect(printed).toContain(env.url);
    expect(printed).toContain(env.config.dataDir);
  });

  it('makes none on the next start, which says where the key went', async () => {
    const next = await startSigdesk(env.sigdesk.config, { api: true, worker: false });
    try {
      expect(next.summary.adminKey).toEqual({ made: undefined, configured: false });
      expect(formatStartupSummary(next.summary)).toMatch(/admin key\s+made on the first start/);
      expect(await env.db.selectFrom('api_keys').select('id').where('role', '=', 'admin').execute()).toHaveLength(1);
    } finally {
      await next.close();
    }
  });

  it('never prints the password of a database URL', () => {
    const printed = formatStartupSummary({
      ...env.sigdesk.summary,
      postgres: { embedded: false, url: 'postgres://sigdesk:s3cret-pass@db.internal:5432/sigdesk' },
    });
    expect(printed).toContain('db.internal:5432/sigdesk');
    expect(printed).not.toContain('s3cret-pass');
  });
});
