import { totpCode, totpStep } from '@sigdesk/people';
import {
  ApiClient,
  invitePerson,
  SessionClient,
  SmtpCatcher,
  startSmtpCatcher,
  startTestEnvironment,
  TestEnvironment,
} from '@sigdesk/testing';

const ACCOUNT_FAILURES_ALLOWED = 10;
const ADDRESS_FAILURES_ALLOWED = 50;

describe('people: failed sign-ins, session timeouts, second factor for staff', () => {
  let env: TestEnvironment;
  let smtp: SmtpCatcher;

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    env = await startTestEnvironment({
      worker: false,
      env: { SIGDESK_SMTP_URL: smtp.url, SIGDESK_REQUIRE_TOTP_FOR_STAFF: 'true', SIGDESK_TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.close();
  });

  const forgetFailures = () => env.db.deleteFrom('sign_in_failures').execute();

  it('limits failed sign-ins per account, with Retry-After, even for the right password then', async () => {
    await forgetFailures();
    const person = await invitePerson(env, smtp, {
      email: 'limited@vendor.example',
      displayName: 'L',
      role: 'release',
    });
    for (let i = 0; i < ACCOUNT_FAILURES_ALLOWED; i++) {
      const failed = await new SessionClient(env.url).signIn(person.email, `wrong passphrase ${i}`);
      expect(failed.status).toBe(401);
    }
    const limited = await new SessionClient(env.url).signIn(person.email, person.password);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // an email without an account is limited exactly alike: the limit tells nothing either
    for (let i = 0; i < ACCOUNT_FAILURES_ALLOWED; i++) {
      await new SessionClient(env.url).signIn('ghost@vendor.example', `wrong passphrase ${i}`);
    }
    const ghost = await new SessionClient(env.url).signIn('ghost@vendor.example', 'wrong passphrase');
    expect(ghost.status).toBe(429);
    expect(ghost.body.error).toBe('rate_limited');

    // once the failures leave the window, the right password works again
    await env.db
      .updateTable('sign_in_failures')
      .set({ failed_at: new Date(Date.now() - 16 * 60_000) })
      .execute();
    expect((await new SessionClient(env.url).signIn(person.email, person.password)).status).toBe(201);
  });

  it('limits failed sign-ins per address, whatever the accounts tried', async () => {
    await forgetFailures();
    for (let i = 0; i < ADDRESS_FAILURES_ALLOWED; i++) {
      const failed = await new SessionClient(env.url).signIn(`nobody${i}@vendor.example`, 'wrong passphrase');
      expect(failed.status).toBe(401);
    }
    const limited = await new SessionClient(env.url).signIn('somebody-else@vendor.example', 'wrong passphrase');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await forgetFailures();
  });

  it('counts an address behind a trusted proxy as the proxy names it', async () => {
    await forgetFailures();
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
    for (let i = 0; i < ADDRESS_FAILURES_ALLOWED; i++) {
      const failed = await new SessionClient(env.url).request('POST', '/v1/sessions', {
        json: { email: `someone${i}@vendor.example`, password: 'wrong passphrase' },
        ...from('203.0.113.7'),
      });
      expect(failed.status).toBe(401);
    }
    const limited = await new SessionClient(env.url).request('POST', '/v1/sessions', {
      json: { email: 'another@vendor.example', password: 'wrong passphrase' },
      ...from('203.0.113.7'),
    });
    expect(limited.status).toBe(429);
    const elsewhere = await new SessionClient(env.url).request('POST', '/v1/sessions', {
      json: { email: 'another@vendor.example', password: 'wrong passphrase' },
      ...from('198.51.100.9'),
    });
    expect(elsewhere.status).toBe(401);
    await forgetFailures();
  });

  it('ends a session at its idle deadline, and at its absolute one whatever the activity', async () => {
    await forgetFailures();
    const person = await invitePerson(env, smtp, {
      email: 'idle@customer.example',
      displayName: 'Idle',
      role: 'customer',
      organizationId: (
        await new ApiClient(env.url, env.adminKey).post('/v1/admin/organizations', {
          name: 'Idle Co',
          timezone: 'Europe/Madrid',
          country: 'ES',
        })
      ).body.id,
    });
    const sessionRow = () =>
      env.db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', person.id)
        .where('ended_at', 'is', null)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();

    // activity moves the idle deadline, at most once a minute
    const first = await sessionRow();
    expect((await person.session.get('/v1/sessions/current')).status).toBe(200);
    expect((await sessionRow()).idle_expires_at).toEqual(first.idle_expires_at);
    await env.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 2 * 60_000), idle_expires_at: new Date(Date.now() + 60_000) })
      .where('id', '=', first.id)
      .execute();
    expect((await person.session.get('/v1/sessions/current')).status).toBe(200);
    const touched = await sessionRow();
    expect(touched.idle_expires_at.getTime()).toBeGreaterThan(Date.now() + 11 * 3_600_000);
    expect(touched.last_seen_at.getTime()).toBeGreaterThan(Date.now() - 10_000);

    await env.db
      .updateTable('sessions')
      .set({ idle_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', first.id)
      .execute();
    expect((await person.session.get('/v1/sessions/current')).status).toBe(401);

    const again = new SessionClient(env.url);
    expect((await again.signIn(person.email, person.password)).status).toBe(201);
    const second = await sessionRow();
    expect(second.absolute_expires_at.getTime() - second.created_at.getTime()).toBeCloseTo(7 * 86_400_000, -4);
    await env.db
      .updateTable('sessions')
      .set({ absolute_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', second.id)
      .execute();
    expect((await again.get('/v1/sessions/current')).status).toBe(401);
  });

  it('lets a staff member without a second factor sign in only to enrol one', async () => {
    await forgetFailures();
    const analyst = await invitePerson(env, smtp, {
      email: 'new.analyst@vendor.example',
      displayName: 'New',
      role: 'analyst',
    });
    const current = await analyst.session.get('/v1/sessions/current');
    expect(current.status).toBe(200);
    expect(current.body.totpEnrolmentRequired).toBe(true);
    const queue = await analyst.session.get('/v1/review-queue');
    expect(queue.status).toBe(403);
    expect(queue.body.error).toBe('totp_enrolment_required');

    const started = await analyst.session.post('/v1/sessions/current/totp');
    expect(started.status).toBe(201);
    const step = totpStep(new Date());
    const confirmed = await analyst.session.post('/v1/sessions/current/totp/confirm', {
      code: totpCode(started.body.secret, step),
    });
    expect(confirmed.status).toBe(200);
    expect((await analyst.session.get('/v1/review-queue')).status).toBe(200);

    const withoutCode = await new SessionClient(env.url).signIn(analyst.email, analyst.password);
    expect(withoutCode.status).toBe(401);
    expect(withoutCode.body.error).toBe('totp_required');
    const wrongCode = await new SessionClient(env.url).signIn(analyst.email, analyst.password, '000000');
    expect(wrongCode.status).toBe(401);
    expect(['totp_invalid']).toContain(wrongCode.body.error);
    const withCode = new SessionClient(env.url);
    expect(
      (await withCode.signIn(analyst.email, analyst.password, totpCode(started.body.secret, step + 1))).status,
    ).toBe(201);
    expect((await withCode.get('/v1/review-queue')).status).toBe(200);
  });

  it('does not ask customers for a second factor', async () => {
    const org = await new ApiClient(env.url, env.adminKey).post('/v1/admin/organizations', {
      name: 'No TOTP Co',
      timezone: 'Europe/Madrid',
      country: 'ES',
    });
    const customer = await invitePerson(env, smtp, {
      email: 'customer@notop.example',
      displayName: 'C',
      role: 'customer',
      organizationId: org.body.id,
    });
    const current = await customer.session.get('/v1/sessions/current');
    expect(current.body.totpEnrolmentRequired).toBeUndefined();
    expect((await customer.session.get('/v1/submissions')).status).toBe(200);
  });
});
