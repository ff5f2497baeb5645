import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  ApiClient,
  eventually,
  invitePerson,
  linkIn,
  mailedToken,
  seedCustomer,
  SeededCustomer,
  seedRelease,
  SessionClient,
  SmtpCatcher,
  startSmtpCatcher,
  startTestEnvironment,
  submissionForm,
  TestEnvironment,
} from '@sigdesk/testing';

const PUBLIC_URL = 'https://sigdesk.example';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const uniqueSample = () => [{ name: 'dropper.bin', content: randomBytes(300) }];

describe('people: invitations, sessions, CSRF, password resets', () => {
  let env: TestEnvironment;
  let smtp: SmtpCatcher;
  let admin: ApiClient;
  let acme: SeededCustomer;
  let globex: SeededCustomer;
  const anonymous = () => new ApiClient(env.url);

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    env = await startTestEnvironment({
      env: {
        SIGDESK_SMTP_URL: smtp.url,
        SIGDESK_PUBLIC_URL: PUBLIC_URL,
        SIGDESK_MAIL_FROM: 'sigdesk <no-reply@sigdesk.example>',
      },
    });
    admin = new ApiClient(env.url, env.adminKey);
    await seedRelease(env, 100);
    acme = await seedCustomer(env, { name: 'Acme' });
    globex = await seedCustomer(env, { name: 'Globex' });
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.close();
  });

  it('invites by email with a one-time link; the answer never holds the token', async () => {
    const invited = await admin.post('/v1/admin/users/invitations', {
      email: 'Marta.Ruiz@Acme.example',
      displayName: 'Marta Ruiz',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({
      email: 'marta.ruiz@acme.example',
      role: 'customer',
      organizationId: acme.organizationId,
      organizationAdmin: false,
      emailSent: true,
    });
    const mail = await smtp.nextMailTo('marta.ruiz@acme.example');
    expect(mail.from).toBe('no-reply@sigdesk.example');
    const link = linkIn(mail, '/invitations');
    expect(link.startsWith(`${PUBLIC_URL}/invitations/`)).toBe(true);
    const token = link.split('/').pop()!;
    expect(JSON.stringify(invited.body)).not.toContain(token);
    const stored = await env.db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', invited.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(sha256(token));

    // the password policy: 422 with a code of its own, and nothing stored
    const short = await anonymous().post(`/v1/invitations/${token}/accept`, { password: 'short pass' });
    expect(short.status).toBe(422);
    expect(short.body.error).toBe('password_too_short');
    const itsEmail = await anonymous().post(`/v1/invitations/${token}/accept`, { password: 'MARTA.RUIZ@acme.example' });
    expect(itsEmail.status).toBe(422);
    expect(itsEmail.body.error).toBe('password_is_email');
    expect(
      await env.db.selectFrom('users').select('id').where('email', '=', 'marta.ruiz@acme.example').execute(),
    ).toEqual([]);

    const accepted = await anonymous().post(`/v1/invitations/${token}/accept`, {
      password: 'marta has a long passphrase',
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.user).toEqual({
      id: expect.any(String),
      email: 'marta.ruiz@acme.example',
      displayName: 'Marta Ruiz',
      role: 'customer',
      organizationId: acme.organizationId,
      organizationAdmin: false,
      totpEnabled: false,
    });
    const user = await env.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', accepted.body.user.id)
      .executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$/);

    // used, unknown and malformed links answer alike
    const used = await anonymous().post(`/v1/invitations/${token}/accept`, { password: 'marta has a long passphrase' });
    const unknown = await anonymous().post(`/v1/invitations/${randomBytes(32).toString('base64url')}/accept`, {
      password: 'marta has a long passphrase',
    });
    const junk = await anonymous().post('/v1/invitations/not-a-token/accept', {
      password: 'marta has a long passphrase',
    });
    expect(used.status).toBe(410);
    expect(used.body.error).toBe('link_invalid');
    expect(unknown.body).toEqual(used.body);
    expect(junk.body).toEqual(used.body);
  });

  it('refuses an expired invitation as it refuses an unknown one', async () => {
    const invited = await admin.post('/v1/admin/users/invitations', {
      email: 'late@acme.example',
      displayName: 'Late',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const token = await mailedToken(smtp, 'late@acme.example', '/invitations');
    await env.db
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', invited.body.id)
      .execute();
    const expired = await anonymous().post(`/v1/invitations/${token}/accept`, { password: 'a long enough passphrase' });
    expect(expired.status).toBe(410);
    expect(expired.body.error).toBe('link_invalid');
  });

  it('shows the invited person their invitation by its link: what they need, and why a link no longer works', async () => {
    const invited = await admin.post('/v1/admin/users/invitations', {
      email: 'Nuria@Acme.example',
      displayName: 'Nuria Vidal',
      role: 'customer',
      organizationId: acme.organizationId,
      organizationAdmin: true,
    });
    const token = await mailedToken(smtp, 'nuria@acme.example', '/invitations');
    const open = await anonymous().get(`/v1/invitations/${token}`);
    expect(open.status).toBe(200);
    expect(open.body).toEqual({
      email: 'nuria@acme.example',
      displayName: 'Nuria Vidal',
      role: 'customer',
      organizationName: 'Acme',
      organizationAdmin: true,
      expiresAt: invited.body.expiresAt,
    });
    // reading it changes nothing: the link still works
    expect((await anonymous().get(`/v1/invitations/${token}`)).status).toBe(200);

    // staff have no organisation
    await admin.post('/v1/admin/users/invitations', {
      email: 'staff@vendor.example',
      displayName: 'Staff',
      role: 'analyst',
    });
    const staff = await anonymous().get(
      `/v1/invitations/${await mailedToken(smtp, 'staff@vendor.example', '/invitations')}`,
    );
    expect(staff.body).toMatchObject({ role: 'analyst', organizationName: null, organizationAdmin: false });

    // unknown or malformed: 404 in the API's shape
    const unknown = await anonymous().get(`/v1/invitations/${randomBytes(32).toString('base64url')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: expect.any(String) });
    const junk = await anonymous().get('/v1/invitations/not-a-token');
    expect(junk.status).toBe(404);
    expect(junk.body).toEqual(unknown.body);

    // used: 410 invitation_used
    expect(
      (await anonymous().post(`/v1/invitations/${token}/accept`, { password: 'nuria has a long passphrase' })).status,
    ).toBe(201);
    const used = await anonymous().get(`/v1/invitations/${token}`);
    expect(used.status).toBe(410);
    expect(used.body).toEqual({ error: 'invitation_used', message: expect.stringContaining('used already') });

    // expired: 410 invitation_expired, with when
    await admin.post('/v1/admin/users/invitations', {
      email: 'old@acme.example',
      displayName: 'Old',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const oldToken = await mailedToken(smtp, 'old@acme.example', '/invitations');
    const expiredAt = new Date(Date.now() - 60_000);
    await env.db
      .updateTable('invitations')
      .set({ expires_at: expiredAt })
      .where('email', '=', 'old@acme.example')
      .execute();
    const expired = await anonymous().get(`/v1/invitations/${oldToken}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toEqual({
      error: 'invitation_expired',
      message: expect.stringContaining('expired'),
      expiredAt: expiredAt.toISOString(),
    });
    // no person's data leaks in a refusal
    expect(JSON.stringify([used.body, expired.body])).not.toMatch(/nuria|old@/i);
  });

  it('signs in with an httpOnly SameSite=Lax cookie whose value is stored only as a hash', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'pablo@acme.example',
      displayName: 'Pablo',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const browser = new SessionClient(env.url);
    const signedIn = await browser.signIn('PABLO@acme.example', person.password);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body.user).toMatchObject({ id: person.id, email: 'pablo@acme.example', displayName: 'Pablo' });
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('sigdesk_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Secure/); // outside development
    expect(
      await env.db.selectFrom('sessions').select('id').where('token_hash', '=', sha256(browser.cookie!)).execute(),
    ).toHaveLength(1);
    expect(
      await env.db.selectFrom('sessions').select('id').where('token_hash', '=', browser.cookie!).execute(),
    ).toHaveLength(0);

    const current = await browser.get('/v1/sessions/current');
    expect(current.status).toBe(200);
    expect(current.body).toEqual({ user: signedIn.body.user, csrfToken: browser.csrfToken });
    expect((await anonymous().get('/v1/sessions/current')).status).toBe(401);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'lucia@acme.example',
      displayName: 'Lucía',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const wrong = await new SessionClient(env.url).signIn(person.email, 'not the right passphrase');
    const unknown = await new SessionClient(env.url).signIn('nobody@acme.example', 'not the right passphrase');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it('submits a case with the cookie and the CSRF token; without the token or from another origin, 403 and nothing stored', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'sofia@acme.example',
      displayName: 'Sofía Marín',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const cases = async () => (await env.db.selectFrom('cases').select('id').execute()).length;
    const before = await cases();

    const withoutToken = await person.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
      withoutCsrf: true,
    });
    expect(withoutToken.status).toBe(403);
    expect(withoutToken.body.error).toBe('csrf_invalid');
    const wrongToken = await person.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
      withoutCsrf: true,
      headers: { 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrongToken.status).toBe(403);
    const otherSite = await person.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
      headers: { origin: 'https://evil.example' },
    });
    expect(otherSite.status).toBe(403);
    expect(otherSite.body.error).toBe('csrf_invalid');
    expect(await cases()).toBe(before);

    const submitted = await person.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
      headers: { origin: PUBLIC_URL },
    });
    expect(submitted.status).toBe(201);
    const stored = await env.db
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', submitted.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.submitted_by).toBe(person.id);
    expect(stored.organization_id).toBe(acme.organizationId);

    const detail = await person.session.get(`/v1/submissions/${submitted.body.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.timeline[0].by).toEqual({ role: 'customer', name: 'Sofía Marín' });
  });

  it('never takes a request with an Authorization header as cookie-authenticated', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'both@acme.example',
      displayName: 'Both',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    // a valid key beside the cookie: the key acts, and needs no CSRF token
    const asKey = await person.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
      withoutCsrf: true,
      headers: { authorization: `Bearer ${acme.key}` },
    });
    expect(asKey.status).toBe(201);
    const stored = await env.db
      .selectFrom('cases')
      .select('submitted_by')
      .where('id', '=', asKey.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.submitted_by).not.toBe(person.id);
    // a wrong key beside a valid cookie: refused, the cookie does not stand in for it
    const wrongKey = await person.session.request('GET', '/v1/submissions', {
      headers: { authorization: 'Bearer sdk_cus_not-a-key' },
    });
    expect(wrongKey.status).toBe(401);
    expect((await person.session.get('/v1/submissions')).status).toBe(200);
  });

  it("keeps a customer's session out of another organisation's cases, as a key is", async () => {
    const person = await invitePerson(env, smtp, {
      email: 'ines@acme.example',
      displayName: 'Inés',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const theirs = await globex.client.upload('/v1/submissions', submissionForm({}, uniqueSample()));
    expect(theirs.status).toBe(201);
    const asSession = await person.session.get(`/v1/submissions/${theirs.body.id}`);
    const asKey = await acme.client.get(`/v1/submissions/${theirs.body.id}`);
    expect(asSession.status).toBe(404);
    expect(asSession.body).toEqual(asKey.body);
    const list = await person.session.get('/v1/submissions');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(theirs.body.id);
    // and a customer's session has no analyst's rights
    expect((await person.session.post('/v1/review-queue/claim')).status).toBe(403);
  });

  it('lets an analyst session claim from the queue as an analyst key; the customer sees the name, never the email', async () => {
    const analyst = await invitePerson(env, smtp, {
      email: 'ana.lopez@vendor.example',
      displayName: 'Ana López',
      role: 'analyst',
    });
    const customer = await invitePerson(env, smtp, {
      email: 'raul@globex.example',
      displayName: 'Raúl',
      role: 'customer',
      organizationId: globex.organizationId,
    });
    // the queue's claim skips a case whose intake holds it locked: every intake is let finish first
    const intakesDone = () =>
      eventually(
        () =>
          env.db
            .selectFrom('cases')
            .select('id')
            .where('intake_completed_at', 'is', null)
            .where('status', 'in', ['received', 'queued'])
            .execute(),
        (rows) => rows.length === 0,
        30_000,
      );
    await intakesDone();
    // nothing else waiting: whatever earlier tests queued is declined first
    for (;;) {
      const stale = await analyst.session.post('/v1/review-queue/claim');
      if (stale.status === 204) break;
      await analyst.session.post(`/v1/cases/${stale.body.id}/verdict`, { verdict: 'declined', note: 'cleanup' });
    }
    const submitted = await customer.session.request('POST', '/v1/submissions', {
      form: submissionForm({}, uniqueSample()),
    });
    expect(submitted.status).toBe(201);
    const queued = await eventually(
      () => customer.session.get(`/v1/submissions/${submitted.body.id}`),
      (r) => r.body.status === 'queued',
    );
    expect(queued.body.status).toBe('queued');
    await intakesDone();

    const claimed = await analyst.session.post('/v1/review-queue/claim');
    expect(claimed.status).toBe(200);
    expect(claimed.body.id).toBe(submitted.body.id);
    const row = await env.db
      .selectFrom('cases')
      .select('assigned_to')
      .where('id', '=', submitted.body.id)
      .executeTakeFirstOrThrow();
    expect(row.assigned_to).toBe(analyst.id);

    const asked = await analyst.session.post(`/v1/cases/${submitted.body.id}/responses`, {
      message: 'Which build of the product?',
      awaitCustomer: true,
    });
    expect(asked.status).toBeLessThan(300);

    const analystView = await analyst.session.get(`/v1/cases/${submitted.body.id}`);
    expect(analystView.body.timeline.find((e: { toStatus: string }) => e.toStatus === 'in_review').by).toEqual({
      role: 'analyst',
      userId: analyst.id,
      name: 'Ana López',
    });
    const customerView = await customer.session.get(`/v1/submissions/${submitted.body.id}`);
    const text = JSON.stringify(customerView.body);
    expect(text).toContain('Ana López');
    expect(text).not.toContain('ana.lopez@vendor.example');
    expect(text).not.toContain(analyst.id);
  });

  it('signs out (the cookie cleared, the session over) and signs out everywhere', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'jorge@acme.example',
      displayName: 'Jorge',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const oldCookie = person.session.cookie;
    const withoutToken = await person.session.delete('/v1/sessions/current', { withoutCsrf: true });
    expect(withoutToken.status).toBe(403);
    const out = await person.session.delete('/v1/sessions/current');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^sigdesk_session=; .*Max-Age=0/);
    const replayed = new SessionClient(env.url);
    replayed.cookie = oldCookie;
    expect((await replayed.get('/v1/sessions/current')).status).toBe(401);

    const laptop = new SessionClient(env.url);
    const phone = new SessionClient(env.url);
    await laptop.signIn(person.email, person.password);
    await phone.signIn(person.email, person.password);
    expect((await phone.get('/v1/sessions/current')).status).toBe(200);
    expect((await laptop.delete('/v1/sessions')).status).toBe(204);
    expect((await phone.get('/v1/sessions/current')).status).toBe(401);
    expect((await laptop.get('/v1/sessions/current')).status).toBe(401);
  });

  it('resets a password by email: always 202, and the reset ends every session', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'elena@acme.example',
      displayName: 'Elena',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const unknown = await anonymous().post('/v1/password-resets', { email: 'nobody-here@acme.example' });
    const known = await anonymous().post('/v1/password-resets', { email: 'Elena@acme.example' });
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    const token = await mailedToken(smtp, person.email, '/password-resets');
    expect(smtp.mails.some((m) => m.to.includes('nobody-here@acme.example'))).toBe(false);

    const weak = await anonymous().post(`/v1/password-resets/${token}`, { password: 'elena' });
    expect(weak.status).toBe(422);
    expect(weak.body.error).toBe('password_too_short');
    expect((await person.session.get('/v1/sessions/current')).status).toBe(200);

    const reset = await anonymous().post(`/v1/password-resets/${token}`, { password: 'a brand new passphrase' });
    expect(reset.status).toBe(204);
    expect((await person.session.get('/v1/sessions/current')).status).toBe(401);
    expect((await new SessionClient(env.url).signIn(person.email, person.password)).status).toBe(401);
    expect((await new SessionClient(env.url).signIn(person.email, 'a brand new passphrase')).status).toBe(201);
    const again = await anonymous().post(`/v1/password-resets/${token}`, { password: 'yet another passphrase' });
    expect(again.status).toBe(410);
    expect(again.body.error).toBe('link_invalid');
  });

  it('turns a second factor on; then a code is required, checked, and never accepted twice', async () => {
    const person = await invitePerson(env, smtp, {
      email: 'tomas@acme.example',
      displayName: 'Tomás',
      role: 'customer',
      organizationId: acme.organizationId,
    });
    const { totpCode, totpStep } = await import('@sigdesk/people');
    const started = await person.session.post('/v1/sessions/current/totp');
    expect(started.status).toBe(201);
    expect(started.body.otpauthUri).toContain(`secret=${started.body.secret}`);
    const secret: string = started.body.secret;
    const step = totpStep(new Date());
    const wrong = await person.session.post('/v1/sessions/current/totp/confirm', {
      code: totpCode(secret, step + 5),
    });
    expect(wrong.status).toBe(422);
    const confirmed = await person.session.post('/v1/sessions/current/totp/confirm', { code: totpCode(secret, step) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.user.totpEnabled).toBe(true);

    const withoutCode = await new SessionClient(env.url).signIn(person.email, person.password);
    expect(withoutCode.status).toBe(401);
    expect(withoutCode.body.error).toBe('totp_required');
    // the enrolment used the current step: the same code is refused
    const replay = await new SessionClient(env.url).signIn(person.email, person.password, totpCode(secret, step));
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('totp_invalid');
    const next = await new SessionClient(env.url).signIn(person.email, person.password, totpCode(secret, step + 1));
    expect(next.status).toBe(201);
    const twice = await new SessionClient(env.url).signIn(person.email, person.password, totpCode(secret, step + 1));
    expect(twice.status).toBe(401);
    expect(twice.body.error).toBe('totp_invalid');
  });

  it("lets an organisation's admin invite and disable its own customers, and nobody else", async () => {
    const orgAdmin = await invitePerson(env, smtp, {
      email: 'boss@acme.example',
      displayName: 'Boss',
      role: 'customer',
      organizationId: acme.organizationId,
      organizationAdmin: true,
    });
    const plain = await invitePerson(env, smtp, {
      email: 'plain@acme.example',
      displayName: 'Plain',
      role: 'customer',
      organizationId: acme.organizationId,
    });

    const analyst = await orgAdmin.session.post('/v1/admin/users/invitations', {
      email: 'x@acme.example',
      displayName: 'X',
      role: 'analyst',
    });
    expect(analyst.status).toBe(403);
    const elsewhere = await orgAdmin.session.post('/v1/admin/users/invitations', {
      email: 'x@acme.example',
      displayName: 'X',
      role: 'customer',
      organizationId: globex.organizationId,
    });
    expect(elsewhere.status).toBe(403);
    expect(
      (
        await plain.session.post('/v1/admin/users/invitations', {
          email: 'y@acme.example',
          displayName: 'Y',
          role: 'customer',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await acme.client.post('/v1/admin/users/invitations', {
          email: 'y@acme.example',
          displayName: 'Y',
          role: 'customer',
        })
      ).status,
    ).toBe(403);

    const colleague = await orgAdmin.session.post('/v1/admin/users/invitations', {
      email: 'colleague@acme.example',
      displayName: 'Colleague',
      role: 'customer',
    });
    expect(colleague.status).toBe(201);
    expect(colleague.body.organizationId).toBe(acme.organizationId);

    const listed = await orgAdmin.session.get('/v1/organizations/current/users');
    expect(listed.status).toBe(200);
    const emails = listed.body.items.map((u: { email: string }) => u.email);
    expect(emails).toContain('plain@acme.example');
    expect(emails).not.toContain('raul@globex.example');
    expect(emails).not.toContain('ana.lopez@vendor.example');
    expect((await plain.session.get('/v1/organizations/current/users')).status).toBe(403);
    expect((await orgAdmin.session.get('/v1/admin/users')).status).toBe(403);
    const all = await admin.get('/v1/admin/users');
    expect(all.status).toBe(200);
    expect(all.body.items.map((u: { email: string }) => u.email)).toContain('raul@globex.example');

    const globexUser = all.body.items.find((u: { email: string }) => u.email === 'raul@globex.example');
    expect((await orgAdmin.session.delete(`/v1/organizations/current/users/${globexUser.id}`)).status).toBe(404);
    expect((await orgAdmin.session.delete(`/v1/organizations/current/users/${plain.id}`)).status).toBe(204);
    expect((await plain.session.get('/v1/sessions/current')).status).toBe(401);
    const signIn = await new SessionClient(env.url).signIn(plain.email, plain.password);
    expect(signIn.status).toBe(401);
    expect(signIn.body.error).toBe('invalid_credentials');
  });

  it('pages through the users one by one without a person twice, whatever the microseconds of their creation', async () => {
    // PostgreSQL keeps microseconds, a cursor (a JavaScript date) milliseconds: rows made within one millisecond,
    // and rows with microseconds past the cursor's millisecond, must neither come again nor be skipped
    const org = await seedCustomer(env, { name: 'Initech' });
    for (const name of ['uno', 'dos', 'tres', 'cuatro']) {
      await admin.post('/v1/admin/users/invitations', {
        email: `${name}@initech.example`,
        displayName: name,
        role: 'customer',
        organizationId: org.organizationId,
      });
      const token = await mailedToken(smtp, `${name}@initech.example`, '/invitations');
      expect(
        (await anonymous().post(`/v1/invitations/${token}/accept`, { password: `a long password ${name}` })).status,
      ).toBe(201);
    }
    await sql`UPDATE users SET created_at = '2026-11-30T10:00:00.123Z'
      WHERE organization_id = ${org.organizationId}`.execute(env.db);
    // and microseconds past the millisecond, as PostgreSQL's now() writes them
    await sql`UPDATE users SET created_at = created_at + make_interval(secs => 0.000456)
      WHERE email = 'tres@initech.example'`.execute(env.db);
    await sql`UPDATE users SET created_at = '2026-11-30T10:00:00.124Z' WHERE email = 'cuatro@initech.example'`.execute(
      env.db,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const listed: { status: number; body: any } = await admin.get(
        `/v1/admin/users?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(listed.status).toBe(200);
      seen.push(...listed.body.items.map((u: { email: string }) => u.email));
      cursor = listed.body.nextCursor;
      if (!cursor) break;
    }
    const initech = seen.filter((email) => email.endsWith('@initech.example'));
    expect(initech.sort()).toEqual(['cuatro', 'dos', 'tres', 'uno'].map((name) => `${name}@initech.example`).sort());
  });
});
