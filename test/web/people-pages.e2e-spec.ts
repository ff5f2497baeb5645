import { totpCode, totpStep } from '@sigdesk/people';
import {
  ApiClient,
  linkIn,
  pageHeading,
  saveScreenshot,
  seedCustomer,
  seriousAccessibilityViolations,
  SessionClient,
  WebTest,
} from '@sigdesk/testing';
import { invitedPerson, PASSWORD, signInContext, standInForSessions, uniqueEmail } from './support/sessions';
import { browserSuite } from './support/suite';

/** The path of the latest link under `path` mailed to `email` (the page is opened on the test's own origin). */
async function mailedPath(web: WebTest, email: string, path: string): Promise<string> {
  return new URL(linkIn(await web.smtp.nextMailTo(email), path)).pathname;
}

describe("people's pages in a real browser: invitation, password reset, account security, users", () => {
  const suite = browserSuite();
  const { web } = suite;

  async function open(locale = 'en-GB') {
    return suite.open({ locale, height: 1000 });
  }

  it('an invited customer sets a password, turns on the second factor, and signs in with it', async () => {
    const { page, context } = await open();
    const customer = await seedCustomer(web.env);
    const email = uniqueEmail('marta.ruiz');
    const admin = new ApiClient(web.env.url, web.env.adminKey);
    const invited = await admin.post('/v1/admin/users/invitations', {
      email,
      displayName: 'Marta Ruiz',
      role: 'customer',
      organizationId: customer.organizationId,
    });
    expect(invited.status).toBe(201);

    const invitationPath = await mailedPath(web, email, '/invitations');
    await page.goto(invitationPath);
    await pageHeading(page, 'Set up your sigdesk account');
    // who is invited, to what: read from the link
    const summary = page.getByTestId('invitation-summary');
    await summary.getByText('Welcome, Marta Ruiz').waitFor();
    await summary.getByText(`You are invited to sigdesk as a member of Acme Logistics.`).waitFor();
    await summary.getByText(`You will sign in with ${email}.`).waitFor();
    await page.getByText('Leave it empty to keep "Marta Ruiz".').waitFor();
    await page.getByText('At least 12 characters, at most 256').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'invitation-accept');
    // the policy is checked before anything is sent
    await page.getByLabel('New password').fill('too short');
    await page.getByLabel('Repeat the password').fill('too short');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByText('At least 12 characters.').waitFor();
    // the API's own refusal, translated: the email as password
    await page.getByLabel('New password').fill(email);
    await page.getByLabel('Repeat the password').fill(email);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'The password must not be your email address.',
    );
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL((url) => url.pathname === '/cases');
    await page.getByRole('button', { name: 'Marta Ruiz' }).waitFor();

    // the link, opened again, says it was used and leads to sign in (no form to fill in vain)
    await page.goto(invitationPath);
    await page.getByText('This invitation has been used already').waitFor();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('New password').count()).toBe(0);
    await page.goto('/cases');

    // account security, from the user menu
    await page.getByRole('button', { name: 'Marta Ruiz' }).click();
    await page.getByRole('menuitem', { name: 'Account security' }).click();
    await pageHeading(page, 'Account security');
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('img', { name: 'QR code to add sigdesk to an authenticator app' }).waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'account-totp');
    const step = totpStep(new Date());
    await page.getByRole('textbox', { name: 'Verification code' }).fill(totpCode(secret, step));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.getByText('On: signing in asks for a code of your authenticator app.').waitFor();

    // signed out, and in again: the code is asked for
    await page.getByRole('button', { name: 'Marta Ruiz' }).click();
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('textbox', { name: 'Verification code' }).fill(totpCode(secret, step + 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/cases');
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'sigdesk_session')?.httpOnly).toBe(true);
  });

  it.each([
    ['en-GB', 'This invitation has expired', 'The link stopped working on', 'invitation-expired'],
    ['es-ES', 'Esta invitación ha caducado', 'El enlace dejó de funcionar el', 'invitation-expired-es'],
  ])(
    'says clearly when an invitation link expired, and when it is not valid (%s)',
    async (locale, title, text, shot) => {
      const { page } = await open(locale);
      const customer = await seedCustomer(web.env);
      const email = uniqueEmail('late');
      const admin = new ApiClient(web.env.url, web.env.adminKey);
      const invited = await admin.post('/v1/admin/users/invitations', {
        email,
        displayName: 'Late Comer',
        role: 'customer',
        organizationId: customer.organizationId,
      });
      expect(invited.status).toBe(201);
      const path = await mailedPath(web, email, '/invitations');
      await web.env.db
        .updateTable('invitations')
        .set({ expires_at: new Date(Date.now() - 3_600_000) })
        .where('id', '=', invited.body.id)
        .execute();
      await page.goto(path);
      await page.getByText(title).waitFor();
      await page.getByText(text, { exact: false }).waitFor();
      expect(await page.getByLabel(locale === 'en-GB' ? 'New password' : 'Contraseña nueva').count()).toBe(0);
      expect(await page.getByText('Late Comer').count()).toBe(0);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, shot);

      // a link cut short in the mail: not valid
      await page.goto(path.slice(0, -5));
      await page
        .getByText(locale === 'en-GB' ? 'This invitation link is not valid' : 'Este enlace de invitación no es válido')
        .waitFor();
    },
  );

  it('refuses a state-changing request of the session without its CSRF token (403), and does nothing', async () => {
    const { context } = await open();
    const sessions = await standInForSessions(context, true);
    const without = await context.request.delete('/v1/sessions/current', { failOnStatusCode: false });
    expect(without.status()).toBe(403);
    expect(((await without.json()) as { error: string }).error).toBe('csrf_invalid');
    expect(await sessions.isSignedIn()).toBe(true);
    const withToken = await context.request.delete('/v1/sessions/current', {
      headers: { 'x-csrf-token': sessions.csrfToken! },
      failOnStatusCode: false,
    });
    expect(withToken.status()).toBe(204);
    expect(await sessions.isSignedIn()).toBe(false);
  });

  it('sends a person whose session ended to sign in, says why, and brings them back', async () => {
    const { page, context } = await open('es-ES');
    const sessions = await standInForSessions(context, true);
    await page.goto('/settings');
    await pageHeading(page, 'Configuración');
    // the session ends elsewhere: signed out everywhere from another browser
    const elsewhere = new SessionClient(web.env.url);
    expect((await elsewhere.signIn(sessions.person.email, PASSWORD)).status).toBe(201);
    expect((await elsewhere.delete('/v1/sessions')).status).toBe(204);

    await page.getByRole('navigation', { name: 'Área de cliente' }).getByRole('link', { name: 'Enviar' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/submit');
    expect(new URL(page.url()).searchParams.get('reason')).toBe('expired');
    await page.getByText('Su sesión ha terminado. Vuelva a iniciarla para seguir donde estaba.').waitFor();
    await saveScreenshot(page, 'sign-in-expired-es');
    await page.getByRole('textbox', { name: 'Correo electrónico' }).fill(sessions.person.email);
    await page.getByRole('textbox', { name: 'Contraseña' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Iniciar sesión' }).click();
    await page.waitForURL((url) => url.pathname === '/submit');
  });

  it('resets a forgotten password through the pages; a used link is refused', async () => {
    const { page, context } = await open();
    const customer = await seedCustomer(web.env);
    const person = await invitedPerson(context, { organizationId: customer.organizationId });
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await pageHeading(page, 'Reset your password');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'password-forgot');
    await page.getByRole('textbox', { name: 'Email' }).fill(person.email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText(`If ${person.email} has an account`).waitFor();

    const path = await mailedPath(web, person.email, '/password-resets');
    await page.goto(path);
    await pageHeading(page, 'Choose a new password');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'password-reset');
    await page.getByLabel('New password').fill('a brand new passphrase');
    await page.getByLabel('Repeat the password').fill('a brand new passphrase, not');
    await page.getByRole('button', { name: 'Change my password' }).click();
    await page.getByText('The two passwords are not the same.').waitFor();
    await page.getByLabel('Repeat the password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Change my password' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.getByText('Your password has been changed. Sign in with the new one.').waitFor();
    await page.getByRole('textbox', { name: 'Email' }).fill(person.email);
    await page.getByRole('textbox', { name: 'Password' }).fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/cases');

    // the link worked once
    await page.goto(path);
    await page.getByLabel('New password').fill('yet another passphrase');
    await page.getByLabel('Repeat the password').fill('yet another passphrase');
    await page.getByRole('button', { name: 'Change my password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('This link does not work any more');
  });

  it.each([
    ['en-GB', 'Users', 'Invite a colleague', 'Send the invitation', 'Disable the account', 'Disabled', 'users'],
    [
      'es-ES',
      'Usuarios',
      'Invitar a un compañero',
      'Enviar la invitación',
      'Desactivar la cuenta',
      'Desactivada',
      'users-es',
    ],
  ])(
    'an organisation admin invites a colleague and disables an account on /users (%s)',
    async (locale, title, invite, send, disable, disabled, shot) => {
      const { page, context } = await open(locale);
      const admin = await standInForSessions(context, false, { organizationAdmin: true, displayName: 'Lucía Navarro' });
      const colleague = await invitedPerson(context, {
        organizationId: admin.person.organizationId,
        displayName: 'Pedro Gómez',
      });
      await signInContext(context, admin.person);
      await page.goto('/cases');
      await page.getByRole('navigation').getByRole('link', { name: title }).click();
      await pageHeading(page, title);
      await page.getByRole('cell', { name: colleague.email }).waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, shot);

      const email = uniqueEmail('nuria.vidal');
      await page.getByRole('button', { name: invite }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox').nth(0).fill(email);
      await dialog.getByRole('textbox').nth(1).fill('Nuria Vidal');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await dialog.getByRole('button', { name: send }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      // the page says where the invitation went
      await page.getByRole('alert').filter({ hasText: email }).waitFor();
      const mail = await web.smtp.nextMailTo(email);
      expect(linkIn(mail, '/invitations')).toContain('/invitations/');

      const colleagueRow = page.getByRole('row', { name: new RegExp(colleague.email.replace(/\./g, '\\.')) });
      await colleagueRow.getByRole('button').click();
      await page.getByRole('dialog').getByRole('button', { name: disable }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      // the status column (the second factor's column may say the same word in Spanish)
      await colleagueRow.getByRole('cell').nth(4).getByText(disabled, { exact: true }).waitFor();
      expect(await colleagueRow.getByRole('button').count()).toBe(0);
      const colleagueApi = new SessionClient(web.env.url);
      expect((await colleagueApi.signIn(colleague.email, PASSWORD)).status).toBe(401);
    },
  );

  it('shows /users only to organisation admins: others get no link, and the address leads home', async () => {
    const { page, context } = await open();
    await standInForSessions(context, true);
    await page.goto('/users');
    await page.waitForURL((url) => url.pathname === '/cases');
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Users' }).count()).toBe(0);
  });
});
