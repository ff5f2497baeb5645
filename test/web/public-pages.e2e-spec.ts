import { saveScreenshot, seriousAccessibilityViolations, tabStops, WebPage, WebTest } from '@sigdesk/testing';
import { browserSuite } from './support/suite';

describe('the public pages in a real browser', () => {
  // every page of every test runs under the strict CSP with nothing logged, thrown or missing
  const suite = browserSuite();
  /** The page the test opened last. */
  let current: WebPage | undefined;

  async function open(options?: Parameters<WebTest['open']>[0]) {
    current = await suite.open(options);
    return current.page;
  }

  it('shows the sign-in page in English to an English-speaking browser', async () => {
    const page = await open({ locale: 'en-GB' });
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in to sigdesk');
    await page.getByRole('textbox', { name: 'Email' }).waitFor();
    await page.getByRole('textbox', { name: 'Password' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.title()).toBe('Sign in · sigdesk');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('combobox', { name: 'Language' }).inputValue()).toBe('en');
    await saveScreenshot(page, 'sign-in-en');
  });

  it('shows the sign-in page in Spanish to a Spanish-speaking browser', async () => {
    const page = await open({ locale: 'es-ES' });
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Inicie sesión en sigdesk');
    await page.getByRole('textbox', { name: 'Correo electrónico' }).waitFor();
    await page.getByRole('textbox', { name: 'Contraseña' }).waitFor();
    await page.getByRole('button', { name: 'Iniciar sesión' }).waitFor();
    expect(await page.title()).toBe('Iniciar sesión · sigdesk');
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    expect(await page.getByRole('combobox', { name: 'Idioma' }).inputValue()).toBe('es');
    await saveScreenshot(page, 'sign-in-es');
  });

  it('falls back to English for a browser language it does not speak', async () => {
    const page = await open({ locale: 'fr-FR' });
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in to sigdesk');
  });

  it('switches language with the switcher, and keeps the choice', async () => {
    const page = await open({ locale: 'en-GB' });
    await page.goto('/sign-in');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('es');
    await page.getByRole('heading', { name: 'Inicie sesión en sigdesk' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    expect(await page.title()).toBe('Iniciar sesión · sigdesk');
    expect(await page.evaluate("localStorage.getItem('sigdesk.language')")).toBe('es');

    await page.reload();
    await page.getByRole('heading', { name: 'Inicie sesión en sigdesk' }).waitFor();

    await page.getByRole('combobox', { name: 'Idioma' }).selectOption('en');
    await page.getByRole('heading', { name: 'Sign in to sigdesk' }).waitFor();
    expect(await page.evaluate("localStorage.getItem('sigdesk.language')")).toBe('en');
  });

  it('shows times in the time zone of the browser', async () => {
    const page = await open({ locale: 'es-ES', timezoneId: 'Asia/Tokyo' });
    await page.goto('/sign-in');
    await expect(page.getByTestId('time-zone').textContent()).resolves.toBe(
      'Las horas se muestran en su zona horaria, Asia/Tokyo (GMT+9).',
    );
  });

  it('reaches every control of the sign-in page with the keyboard alone, in order', async () => {
    const page = await open({ locale: 'en-GB' });
    await page.goto('/sign-in');
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await tabStops(page, 10)).toEqual([
      'link "Skip to main content"',
      'link "sigdesk Signature change requests"',
      'combobox "Language"',
      'textbox "Email"',
      'textbox "Password"',
      'button "Show password"',
      'button "Sign in"',
      'link "Forgot your password?"',
      'link "API documentation"',
      // and round again: nothing is a trap
      'link "Skip to main content"',
    ]);
  });

  it('works by keyboard: skip link, language, the form sent with Enter', async () => {
    const page = await open({ locale: 'en-GB' });
    await page.goto('/sign-in');
    await page.getByRole('heading', { level: 1 }).waitFor();

    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main-content');

    await page.getByRole('combobox', { name: 'Language' }).focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('heading', { name: 'Inicie sesión en sigdesk' }).waitFor();
    await page.keyboard.press('ArrowUp');
    await page.getByRole('heading', { name: 'Sign in to sigdesk' }).waitFor();

    await page.keyboard.press('Tab');
    await page.keyboard.type('ana.garcia@acme.example');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    expect(await page.getByRole('textbox', { name: 'Password' }).getAttribute('type')).toBe('text');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
  });

  it('tells a person what the API answered, in their language, without saying whether the account exists', async () => {
    for (const [locale, text] of [
      ['en-GB', 'The email address or the password is not right.'],
      ['es-ES', 'La dirección de correo o la contraseña no son correctas.'],
    ]) {
      const page = await open({ locale });
      await page.goto('/sign-in');
      await page.locator('input[type=email]').fill('ana.garcia@acme.example');
      await page.locator('input[type=password]').fill('correct horse battery staple');
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/sessions');
      await page.locator('button[type=submit]').click();
      expect((await answered).status()).toBe(401);
      await expect(page.getByRole('alert').textContent()).resolves.toContain(text);
      if (locale === 'en-GB') await saveScreenshot(page, 'sign-in-error');
      expect(current!.problems).toEqual([]);
      await current!.close();
    }
  });

  it('checks the form before sending it, and sends nothing while it is incomplete', async () => {
    const page = await open({ locale: 'en-GB' });
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') sent.push(request.url());
    });
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter your email address.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    expect(await page.getByRole('textbox', { name: 'Email' }).getAttribute('aria-invalid')).toBe('true');

    await page.getByRole('textbox', { name: 'Email' }).fill('not an address');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter an email address such as name@company.com.').waitFor();
    expect(sent).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });

  it('shows the not-found page for an unknown address, with a way back', async () => {
    const page = await open({ locale: 'en-GB' });
    const response = await page.goto('/no/such/page?x=1');
    expect(response!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This page does not exist');
    expect(await page.title()).toBe('Page not found · sigdesk');
    await saveScreenshot(page, 'not-found');

    await page.getByRole('link', { name: 'Go to the start page' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
  });

  it('shows the not-found page in Spanish too', async () => {
    const page = await open({ locale: 'es-ES' });
    await page.goto('/casos-antiguos');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Esta página no existe');
  });

  it('sends a signed-out visit to the customer area to the sign-in page, remembering where it was going', async () => {
    const page = await open({ locale: 'en-GB' });
    await page.goto('/cases');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.getByRole('heading', { name: 'Sign in to sigdesk' }).waitFor();

    await page.goto('/settings?tab=keys');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/settings?tab=keys');

    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/sign-in');
  });

  it('runs under a content security policy without inline scripts or eval', async () => {
    const page = await open({ locale: 'en-GB' });
    const response = await page.goto('/sign-in');
    const policy = (await response!.allHeaders())['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    await page.getByRole('heading', { level: 1 }).waitFor();
    // the policy is enforced: an inline script is refused (and reported)
    // (in-page code as text: the tests are typed for Node.js, without the DOM)
    const ran = await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      return window.inlineRan === true;
    })()`);
    expect(ran).toBe(false);
    await page.waitForTimeout(100);
    expect(current!.problems.some((problem) => problem.includes('Content Security Policy'))).toBe(true);
    current!.problems.length = 0;
  });

  describe('accessibility (axe-core: nothing serious or critical)', () => {
    it.each([
      ['the sign-in page in English', 'en-GB', '/sign-in'],
      ['the sign-in page in Spanish', 'es-ES', '/sign-in'],
      ['the not-found page', 'en-GB', '/no/such/page'],
    ])('%s', async (_page, locale, path) => {
      const page = await open({ locale });
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
    });

    it('the sign-in page showing an error', async () => {
      const page = await open({ locale: 'en-GB' });
      await page.goto('/sign-in');
      await page.locator('input[type=email]').fill('ana.garcia@acme.example');
      await page.locator('input[type=password]').fill('secret');
      await page.locator('button[type=submit]').click();
      await page.getByRole('alert').waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
    });
  });
});
