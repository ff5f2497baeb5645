import { totpCode, totpStep } from '@sigdesk/people';
import {
  focusedControl,
  SessionClient,
  pageHeading,
  saveScreenshot,
  seriousAccessibilityViolations,
  tabStops,
  WebTest,
} from '@sigdesk/testing';
import { PASSWORD, standInForSessions } from './support/sessions';
import { browserSuite } from './support/suite';

describe('the customer area in a real browser', () => {
  const suite = browserSuite();
  const { web } = suite;

  async function open(signedIn: boolean, options?: Parameters<WebTest['open']>[0]) {
    const current = await suite.open(options);
    // a real person of a new organisation; signed in: the session's cookie is in the browser
    const sessions = await standInForSessions(current.context, signedIn);
    return { page: current.page, sessions };
  }

  it('shows a signed-in customer the area with its navigation, from / to the cases', async () => {
    const { page } = await open(true, { locale: 'en-GB' });
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/cases');
    await pageHeading(page, 'Cases');
    const navigation = page.getByRole('navigation', { name: 'Customer area' });
    for (const name of ['Submit', 'Cases', 'Settings']) await navigation.getByRole('link', { name }).waitFor();
    expect(await navigation.getByRole('link', { name: 'Cases' }).getAttribute('aria-current')).toBe('page');
    await page.getByRole('button', { name: 'Ana García' }).waitFor();
    expect(await page.title()).toBe('Cases · sigdesk');
    await saveScreenshot(page, 'customer-area-empty');

    await navigation.getByRole('link', { name: 'Submit' }).click();
    await page.waitForURL((url) => url.pathname === '/submit');
    await pageHeading(page, 'Submit a request');
    await saveScreenshot(page, 'customer-area-submit');

    await navigation.getByRole('link', { name: 'Settings' }).click();
    await pageHeading(page, 'Settings');
  });

  it('shows the customer area in Spanish', async () => {
    const { page } = await open(true, { locale: 'es-ES' });
    await page.goto('/settings');
    await pageHeading(page, 'Configuración');
    const navigation = page.getByRole('navigation', { name: 'Área de cliente' });
    for (const name of ['Enviar', 'Casos', 'Configuración']) await navigation.getByRole('link', { name }).waitFor();
    await saveScreenshot(page, 'customer-settings-es');
  });

  it('fits a phone: the navigation folds behind a button', async () => {
    const { page } = await open(true, { locale: 'en-GB', width: 390, height: 844 });
    await page.goto('/cases');
    await pageHeading(page, 'Cases');
    const toggle = page.getByRole('button', { name: 'Show or hide the navigation' });
    await toggle.click();
    await page.getByRole('navigation', { name: 'Customer area' }).getByRole('link', { name: 'Settings' }).click();
    await pageHeading(page, 'Settings');
    await saveScreenshot(page, 'customer-settings-phone');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });

  it('is used by keyboard alone: every control in order, a page opened, focus on its content', async () => {
    const { page } = await open(true, { locale: 'en-GB' });
    await page.goto('/cases');
    await pageHeading(page, 'Cases');
    expect(await tabStops(page, 9)).toEqual([
      'link "Skip to main content"',
      'link "sigdesk Signature change requests"',
      'combobox "Language"',
      'button "Use the dark theme"',
      'button "Ana García"',
      'link "Submit"',
      'link "Cases"',
      'link "Settings"',
      // the page's own controls come next: the cases' search first
      'textbox "Search by reference or SHA-256"',
    ]);
    // back to Settings, opened with Enter: the new page's content takes the focus
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/settings');
    await pageHeading(page, 'Settings');
    await page.waitForFunction("document.activeElement?.id === 'main-content'");

    // the account menu opens and works from the keyboard
    await page.getByRole('button', { name: 'Ana García' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).waitFor();
    // the menu takes the focus once it has opened; Escape is its key from then on
    await page.locator('[role="menu"] :focus').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).waitFor({ state: 'hidden' });
  });

  it("signs out with the session's CSRF token, and lands on the sign-in page", async () => {
    const { page, sessions } = await open(true, { locale: 'en-GB' });
    await page.goto('/cases');
    await page.getByRole('button', { name: 'Ana García' }).click();
    await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.getByRole('heading', { name: 'Sign in to sigdesk' }).waitFor();
    const signOut = sessions.requests.find((request) => request.method() === 'DELETE');
    expect(signOut?.headers()['x-csrf-token']).toBe(sessions.csrfToken);
    expect(await sessions.isSignedIn()).toBe(false);

    await page.goto('/settings');
    await page.waitForURL((url) => url.pathname === '/sign-in');
  });

  it('signs in with the second factor when the API asks for it, and comes back to the page asked for', async () => {
    const { page, sessions } = await open(false, { locale: 'en-GB' });
    const { person } = sessions;
    // the person turned their second factor on (through the API), then signed out
    const api = new SessionClient(web.env.url);
    expect((await api.signIn(person.email, PASSWORD)).status).toBe(201);
    const { secret } = (await api.post('/v1/sessions/current/totp')).body as { secret: string };
    const now = totpStep(new Date());
    expect((await api.post('/v1/sessions/current/totp/confirm', { code: totpCode(secret, now) })).status).toBe(200);
    expect((await api.delete('/v1/sessions/current')).status).toBe(204);

    await page.goto('/settings');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.getByRole('textbox', { name: 'Email' }).fill(person.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    const code = page.getByRole('textbox', { name: 'Verification code' });
    await page.waitForFunction("document.activeElement?.getAttribute('autocomplete') === 'one-time-code'");
    expect(await focusedControl(page)).toBe('textbox "Verification code"');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'sign-in-code');

    await code.fill('12345');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Enter the 6 digits of the code.').waitFor();
    // the step after the one the enrolment used: a code is never accepted twice
    const next = totpCode(secret, now + 1);
    await code.fill(next);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/settings');
    await pageHeading(page, 'Settings');

    const posts = sessions.requests.filter((request) => request.method() === 'POST');
    expect(posts.map((request) => request.postDataJSON())).toEqual([
      { email: person.email, password: PASSWORD },
      { email: person.email, password: PASSWORD, totpCode: next },
    ]);
    // no session yet, so no token to send
    expect(posts.map((request) => request.headers()['x-csrf-token'])).toEqual([undefined, undefined]);
    expect(await sessions.isSignedIn()).toBe(true);
  });

  it('never follows a next address to another site after signing in', async () => {
    const { page, sessions } = await open(false, { locale: 'en-GB' });
    await page.goto('/sign-in?next=//evil.example/phish');
    await page.getByRole('textbox', { name: 'Email' }).fill(sessions.person.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/cases');
    expect(new URL(page.url()).origin).toBe(web.env.url);
  });

  it('explains a wrong password in the person’s language, the same as an unknown email', async () => {
    const { page, sessions } = await open(false, { locale: 'es-ES' });
    await page.goto('/sign-in');
    for (const email of [sessions.person.email, 'nobody.here@acme.example']) {
      await page.locator('input[type=email]').fill(email);
      await page.locator('input[type=password]').fill('not the password at all');
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/sessions');
      await page.locator('button[type=submit]').click();
      expect((await answered).status()).toBe(401);
      await expect(page.getByRole('alert').textContent()).resolves.toContain(
        'La dirección de correo o la contraseña no son correctas.',
      );
    }
    expect(await sessions.isSignedIn()).toBe(false);
  });

  // answers sigdesk gives only under load or on a fault, stood in for in the browser to see how they read
  it.each([
    [
      'too many attempts',
      { status: 429, body: { error: 'rate_limited', message: 'Slow down.' }, headers: { 'retry-after': '30' } },
      'en-GB',
      'Too many attempts. Try again in 30 seconds.',
    ],
    [
      'an error on our side',
      { status: 500, body: { error: 'internal_error', message: 'Oops.', correlationId: 'req-4711' } },
      'en-GB',
      'Quote this reference when you contact support: req-4711.',
    ],
  ])('explains %s in the person’s language', async (_what, answer, locale, text) => {
    const { page, sessions } = await open(false, { locale });
    await page.route('**/v1/sessions', (route) =>
      route.fulfill({
        status: answer.status,
        contentType: 'application/json',
        headers: 'headers' in answer ? answer.headers : {},
        body: JSON.stringify(answer.body),
      }),
    );
    await page.goto('/sign-in');
    await page.locator('input[type=email]').fill(sessions.person.email);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(text);
    expect(await sessions.isSignedIn()).toBe(false);
  });

  describe('accessibility (axe-core: nothing serious or critical)', () => {
    it.each([
      ['/submit', 'light'],
      ['/cases', 'light'],
      ['/settings', 'light'],
      ['/submit', 'dark'],
      ['/cases', 'dark'],
      ['/settings', 'dark'],
    ] as const)('%s in the %s theme', async (path, colorScheme) => {
      const { page } = await open(true, { locale: 'en-GB' });
      await page.emulateMedia({ colorScheme });
      await page.goto(path);
      await page.getByRole('navigation', { name: 'Customer area' }).waitFor();
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
    });

    it('the account menu, open', async () => {
      const { page } = await open(true, { locale: 'es-ES' });
      await page.goto('/cases');
      await page.getByRole('button', { name: 'Ana García' }).click();
      await page.getByRole('menuitem', { name: 'Cerrar sesión', exact: true }).waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
    });
  });
});
