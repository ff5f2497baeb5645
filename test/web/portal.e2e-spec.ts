import { createHash, randomBytes } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import {
  pageHeading,
  saveScreenshot,
  SeededCustomer,
  seedCustomer,
  seedRelease,
  seriousAccessibilityViolations,
  submissionForm,
} from '@sigdesk/testing';
import { browserSuite, customerPage } from './support/suite';

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

describe('the customer portal in a real browser', () => {
  const suite = browserSuite({ worker: true });
  const { web } = suite;

  beforeAll(async () => {
    // 100 is two releases old: outdated; 101 is the one before the newest, 102
    await seedRelease(web.env, 100, new Date(Date.now() - 3 * 86_400_000));
    await seedRelease(web.env, 101, new Date(Date.now() - 2 * 86_400_000));
    await seedRelease(web.env, 102, new Date(Date.now() - 86_400_000));
  });

  /** A signed-in customer's page (sessions stood in for), every API request made with the customer's key. */
  async function open(customer: SeededCustomer, locale = 'en-GB') {
    const current = await customerPage(suite.open, customer, { locale, height: 1000 });
    const submissions: Request[] = [];
    current.page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/submissions') {
        submissions.push(request);
      }
    });
    return { page: current.page, context: current.context, submissions };
  }

  async function fillRequest(
    page: Page,
    labels: {
      kind: RegExp;
      severity: RegExp;
      product: string;
      productVersion: string;
      database: string;
      description: string;
    },
    databaseVersion: string,
  ) {
    await page.getByRole('radio', { name: labels.kind }).check();
    await page.getByRole('radio', { name: labels.severity }).check();
    await page.getByRole('textbox', { name: labels.product, exact: true }).fill('Endpoint Security for Business');
    await page.getByRole('textbox', { name: labels.productVersion }).fill('12.4.0.467');
    await page.getByRole('textbox', { name: labels.database }).fill(databaseVersion);
    await page.getByRole('textbox', { name: labels.description }).fill('The product does not detect this dropper.');
  }

  const ENGLISH = {
    kind: /^False negative/,
    severity: /^1 · Critical/,
    product: 'Product',
    productVersion: 'Product version',
    database: 'Antivirus database version',
    description: 'Description',
  };

  it('submits a false negative with two dropped files: their SHA-256 shown before sending, the progress, then the case', async () => {
    const customer = await seedCustomer(web.env, { tier: 'msa_start' });
    const { page, context, submissions } = await open(customer);
    const files = [
      { name: 'dropper.exe', mimeType: 'application/octet-stream', buffer: randomBytes(3 * 1024 * 1024 + 17) },
      { name: 'payload.dll', mimeType: 'application/octet-stream', buffer: randomBytes(40_000) },
    ];
    await page.goto('/submit');
    await pageHeading(page, 'Submit a request');
    await page.getByText('6 of 6 premium incidents left this contract term', { exact: false }).waitFor();
    await fillRequest(page, ENGLISH, '102');
    await page.getByRole('checkbox', { name: 'Use a premium incident' }).check();
    await page.getByText('The current database is 102', { exact: false }).waitFor();

    // the dropzone's file input, as a drop gives it its files
    await page.locator('input[type=file]').setInputFiles(files);
    const shown = page.getByTestId('sha256');
    await shown.nth(1).waitFor();
    expect(await shown.allTextContents()).toEqual(files.map((file) => sha256(file.buffer)));
    expect(submissions).toHaveLength(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-submit');

    // a slow uplink (Chromium's network emulation), so that the upload is seen in progress
    const devtools = await context.newCDPSession(page);
    await devtools.send('Network.enable');
    await devtools.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1024 * 1024,
    });
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByRole('button', { name: 'Cancel upload' }).waitFor();
    const progress = page.getByRole('progressbar');
    await page.waitForFunction(
      (element) => Number(element?.getAttribute('aria-valuenow')) >= 10,
      await progress.elementHandle(),
    );
    await page.getByText(/^Uploading: [1-9]\d? %$/).waitFor();
    await saveScreenshot(page, 'customer-submit-uploading');
    await devtools.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

    await page.waitForURL((url) => /^\/cases\/[0-9a-f-]{36}$/.test(url.pathname));
    expect(submissions).toHaveLength(1);
    const cases = await customer.client.get('/v1/submissions');
    expect(cases.body.items).toHaveLength(1);
    const created = await customer.client.get(`/v1/submissions/${cases.body.items[0].id}`);
    expect(new URL(page.url()).pathname).toBe(`/cases/${created.body.id}`);
    expect(created.body).toMatchObject({ kind: 'false_negative', severity: 1, premium: true });
    expect(created.body.samples.map((sample: { sha256: string }) => sample.sha256).sort()).toEqual(
      files.map((file) => sha256(file.buffer)).sort(),
    );
    expect((await customer.client.get('/v1/organizations/current')).body.contract.premiumIncidents.remaining).toBe(5);
  });

  it('refuses an outdated database in Spanish before anything is uploaded', async () => {
    const customer = await seedCustomer(web.env, { tier: 'standard' });
    const { page, submissions } = await open(customer, 'es-ES');
    await page.goto('/submit');
    await pageHeading(page, 'Enviar una solicitud');
    // a standard contract: the premium choice is there, disabled, and says why
    expect(await page.getByRole('checkbox', { name: 'Usar un incidente premium' }).isDisabled()).toBe(true);
    await page.getByText('su organización tiene el soporte estándar', { exact: false }).waitFor();
    await fillRequest(
      page,
      {
        kind: /^Falso negativo/,
        severity: /^2 · Alto/,
        product: 'Producto',
        productVersion: 'Versión del producto',
        database: 'Versión de las bases de datos antivirus',
        description: 'Descripción',
      },
      '100',
    );
    await page
      .locator('input[type=file]')
      .setInputFiles([{ name: 'x.bin', mimeType: 'application/octet-stream', buffer: randomBytes(100) }]);
    await page.getByTestId('sha256').waitFor();
    await page
      .getByText(
        'Las bases de datos 100 están desactualizadas: actualice primero a la 102, compruebe si el problema continúa y envíe entonces la solicitud.',
      )
      .waitFor();
    await page.getByRole('button', { name: 'Enviar la solicitud' }).click();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-submit-outdated-es');

    // the release before the newest is current only while the newest is younger than the grace period (3 h)
    await page.getByRole('textbox', { name: 'Versión de las bases de datos antivirus' }).fill('101');
    await page.getByText('Las bases de datos 101 están desactualizadas', { exact: false }).waitFor();
    expect(submissions).toHaveLength(0);
    expect((await customer.client.get('/v1/submissions')).body.items).toHaveLength(0);
  });

  it('refuses a file over the limit before upload, showing the limit', async () => {
    const customer = await seedCustomer(web.env);
    const { page } = await open(customer);
    await page.goto('/submit');
    await pageHeading(page, 'Submit a request');
    // the limit the API tells (SIGDESK_MAX_SAMPLE_BYTES), lowered in this page only
    await page.route('**/v1/organizations/current', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, limits: { ...body.limits, maxSampleBytes: 1024 } } });
    });
    await page.reload();
    await page.getByText('Up to 20 files of at most 1 KiB each', { exact: false }).waitFor();
    await page.locator('input[type=file]').setInputFiles([
      { name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2048) },
      { name: 'small.bin', mimeType: 'application/octet-stream', buffer: randomBytes(10) },
    ]);
    await page.getByText('big.bin is 2 KiB: each file may be at most 1 KiB.').waitFor();
    await page.getByTestId('sha256').waitFor();
    expect(await page.getByTestId('sha256').count()).toBe(1);
  });

  it('retries an upload whose answer was lost with the same Idempotency-Key: one case only', async () => {
    const customer = await seedCustomer(web.env);
    const { page, context, submissions } = await open(customer);
    await page.goto('/submit');
    await pageHeading(page, 'Submit a request');
    await fillRequest(page, { ...ENGLISH, kind: /^False negative/, severity: /^3 · Medium/ }, '102');
    await page
      .locator('input[type=file]')
      .setInputFiles([{ name: 'one.bin', mimeType: 'application/octet-stream', buffer: randomBytes(5000) }]);
    await page.getByTestId('sha256').waitFor();

    // the first attempt reaches sigdesk, which opens the case; its answer is lost on the way back
    let attempts = 0;
    await context.route('**/v1/submissions', async (route) => {
      attempts++;
      if (attempts > 1) return route.fallback();
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByText('The upload did not complete').waitFor();
    await page.getByText('the same request never opens a second case', { exact: false }).waitFor();
    expect((await customer.client.get('/v1/submissions')).body.items).toHaveLength(1);

    await page.getByRole('button', { name: 'Send again' }).click();
    await page.waitForURL((url) => /^\/cases\/[0-9a-f-]{36}$/.test(url.pathname));
    const keys = submissions.map((request) => request.headers()['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
    const cases = await customer.client.get('/v1/submissions');
    expect(cases.body.items).toHaveLength(1);
    expect(new URL(page.url()).pathname).toBe(`/cases/${cases.body.items[0].id}`);
  });

  it('asks for what is missing before sending, and a detection name for a false positive', async () => {
    const customer = await seedCustomer(web.env);
    const { page, submissions } = await open(customer);
    await page.goto('/submit');
    await pageHeading(page, 'Submit a request');
    await page.getByRole('radio', { name: /^False positive/ }).check();
    await page.getByRole('button', { name: 'Send request' }).click();
    for (const message of [
      'Choose a severity.',
      "Enter the product's name.",
      'Enter the detection name your product showed.',
      'Add at least one file.',
    ]) {
      await page.getByText(message).waitFor();
    }
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(submissions).toHaveLength(0);
  });

  it('lists the cases with their response due in working time, searchable by reference or SHA-256, in both languages', async () => {
    const customer = await seedCustomer(web.env, { roundTheClock: true });
    const other = randomBytes(32);
    const first = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ severity: '1', databaseVersion: '102' }, [{ name: 'new.bin', content: randomBytes(32) }]),
    );
    const second = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ severity: '4', databaseVersion: '102' }, [{ name: 'other.bin', content: other }]),
    );
    expect([first.status, second.status]).toEqual([201, 201]);

    const { page } = await open(customer);
    await page.goto('/cases');
    await pageHeading(page, 'Cases');
    const rows = page.getByRole('table').getByRole('row');
    await page.getByRole('link', { name: first.body.reference }).waitFor();
    const firstRow = rows.filter({ hasText: first.body.reference });
    // MSA Start, severity 1: 6 working hours, every hour a working one for this organisation
    expect(await firstRow.textContent()).toMatch(/due in 5 h 5\d m working time/);
    expect(await firstRow.textContent()).toContain('False negative');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-cases');

    await page.getByRole('textbox', { name: 'Search by reference or SHA-256' }).fill(sha256(other));
    await page.getByRole('link', { name: first.body.reference }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: second.body.reference }).waitFor();
    await page.getByRole('textbox', { name: 'Search by reference or SHA-256' }).fill('not a hash');
    await page.getByText('Enter a reference such as SD-2026-000042', { exact: false }).waitFor();
  });

  it('shows the list in Spanish', async () => {
    const customer = await seedCustomer(web.env, { roundTheClock: true });
    const created = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ severity: '2', databaseVersion: '102' }, [{ name: 'new.bin', content: randomBytes(32) }]),
    );
    const { page } = await open(customer, 'es-ES');
    await page.goto('/cases');
    await pageHeading(page, 'Casos');
    const row = page.getByRole('row').filter({ hasText: created.body.reference });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/vence en \d+ h \d+ m de horario laboral/);
    expect(await row.textContent()).toContain('Falso negativo');
    await saveScreenshot(page, 'customer-cases-es');
  });
});
