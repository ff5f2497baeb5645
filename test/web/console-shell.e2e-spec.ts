import { randomBytes } from 'node:crypto';
import {
  pageHeading,
  saveScreenshot,
  seedCustomer,
  seedRelease,
  seriousAccessibilityViolations,
  submissionForm,
  WebPage,
} from '@sigdesk/testing';
import { signedInStaff, standInForSessions } from './support/sessions';
import { queuedCase } from '../support/cases';
import { browserSuite } from './support/suite';

describe("the console's frame and dashboard in a real browser: roles, themes, shortcuts", () => {
  const suite = browserSuite({ worker: true });
  const { web } = suite;

  beforeAll(async () => {
    await seedRelease(web.env, 102, new Date(Date.now() - 86_400_000));
    // an open case of an MSA Start customer, so that the dashboard has a queue to show
    const customer = await seedCustomer(web.env, { tier: 'msa_start', roundTheClock: true });
    // content no rule detects: the case waits for an analyst
    await queuedCase(customer, { severity: '1', databaseVersion: '102', premium: 'true' }, [
      { name: 'dropper.bin', content: randomBytes(2048) },
    ]);
    // and a fortnight of answered cases, one a day or two, every third one late: the charts' history
    const standard = await seedCustomer(web.env, { tier: 'standard' });
    for (let day = 1; day <= 10; day++) {
      const answered = await standard.client.upload(
        '/v1/submissions',
        submissionForm({ severity: String(1 + (day % 4)), databaseVersion: '102' }, [
          { name: `report-${day}.bin`, content: randomBytes(512) },
        ]),
      );
      expect(answered.status).toBe(201);
      const at = new Date(Date.now() - day * 86_400_000);
      await web.env.db
        .updateTable('cases')
        .set({ status: 'closed', first_response_at: at, sla_breached_at: day % 3 === 0 ? at : null })
        .where('id', '=', answered.body.id)
        .execute();
    }
  }, 300_000);

  async function open(locale = 'en-GB') {
    return suite.open({ locale, height: 1100 });
  }

  /** The names of the navigation's links. */
  async function sections(page: WebPage['page'], label: string): Promise<string[]> {
    return page.getByRole('navigation', { name: label }).getByRole('link').allInnerTexts();
  }

  it("an admin starts at the dashboard: the queue by contract and severity, the day charts, the console's sections", async () => {
    const { page, context } = await open();
    await signedInStaff(context, { role: 'admin', displayName: 'Elena Martín' });
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/dashboard');
    await pageHeading(page, 'Dashboard');
    expect(await sections(page, 'Console')).toEqual(['Dashboard', 'Builds', 'Rule packs', 'Users']);

    const queue = page.getByRole('region', { name: 'Open cases by contract and severity' });
    await queue.getByRole('cell', { name: 'MSA Start · premium' }).first().waitFor();
    await queue.getByRole('cell', { name: 'Severity 1' }).first().waitFor();
    // each chart tells its figures in words, and as a table for screen readers
    await page.getByRole('img', { name: 'In the last 30 days, 7 response clocks were met and 3 exceeded.' }).waitFor();
    await page.getByRole('table', { name: 'Validations per day: the figures' }).waitFor({ state: 'attached' });
    expect(
      await page.getByRole('table', { name: 'Response clocks ended per day: the figures' }).getByRole('row').count(),
    ).toBe(31); // the header and the 30 days

    // another period
    await page.getByText('7 days', { exact: true }).click();
    await page.getByRole('img', { name: /In the last 7 days/ }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-dashboard');
  });

  it('switches to the dark theme and keeps it, with the same contrast', async () => {
    const { page, context } = await open();
    await signedInStaff(context, { role: 'release', displayName: 'Jorge Navarro' });
    await page.goto('/dashboard');
    await pageHeading(page, 'Dashboard');
    expect(await sections(page, 'Console')).toEqual(['Builds', 'Dashboard']);
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('light');

    await page.getByRole('button', { name: 'Use the dark theme' }).click();
    await page.getByRole('button', { name: 'Use the light theme' }).waitFor();
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.reload();
    await pageHeading(page, 'Dashboard');
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.getByRole('img', { name: /response clocks were met/ }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-dashboard-dark');
  });

  it('follows the system theme until the person chooses', async () => {
    const { page, context } = await open();
    await page.emulateMedia({ colorScheme: 'dark' });
    await signedInStaff(context, { role: 'admin', displayName: 'Elena Martín' });
    await page.goto('/dashboard');
    await pageHeading(page, 'Dashboard');
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.getByRole('button', { name: 'Use the light theme' }).waitFor();
  });

  it('lists the keyboard shortcuts with ?, and never takes a key typed into a field', async () => {
    const { page, context } = await open('es-ES');
    await signedInStaff(context, { role: 'admin', displayName: 'Elena Martín' });
    await page.goto('/dashboard');
    await pageHeading(page, 'Panel');
    await page.locator('body').press('?');
    const help = page.getByRole('dialog', { name: 'Atajos de teclado' });
    await help.getByRole('cell', { name: 'Mostrar u ocultar esta lista' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // the language selector is a field: ? typed there stays there
    await page
      .getByRole('textbox', { name: 'Idioma' })
      .or(page.getByRole('combobox', { name: 'Idioma' }))
      .focus();
    await page.keyboard.press('?');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await help.isVisible()).toBe(false);
  });

  it('keeps customers out of the console: their navigation, and the API refuses the dashboard', async () => {
    const { page, context } = await open();
    await standInForSessions(context, true);
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/cases');
    expect(await sections(page, 'Customer area')).toEqual(['Submit', 'Cases', 'Settings']);
    await page.goto('/dashboard');
    await page.getByText('The dashboard could not be loaded').waitFor();
  });
});
