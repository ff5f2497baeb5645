import { createHash, randomBytes } from 'node:crypto';
import {
  eventually,
  pageHeading,
  saveScreenshot,
  SeededCustomer,
  seedCustomer,
  seedKey,
  seedRelease,
  seriousAccessibilityViolations,
  submissionForm,
  TestDnsServer,
  WebhookReceiver,
} from '@sigdesk/testing';
import { claimedCase, queuedCase } from '../support/cases';
import { browserSuite, customerPage } from './support/suite';

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

describe("the portal's case page and webhook settings in a real browser", () => {
  let dns: TestDnsServer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // the webhooks' public names resolve through a DNS server of the test's own; the receiver is on loopback
    dns = await TestDnsServer.start();
    dns.set('hooks.acme.example', ['93.184.215.14']);
    receiver = await WebhookReceiver.start();
  });
  const suite = browserSuite({
    worker: true,
    env: () => ({ SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true', SIGDESK_WEBHOOKS_DNS_SERVERS: dns.address }),
  });
  const { web } = suite;
  beforeAll(async () => {
    await seedRelease(web.env, 101, new Date(Date.now() - 2 * 86_400_000));
    await seedRelease(web.env, 102, new Date(Date.now() - 86_400_000));
  });
  afterAll(async () => {
    await receiver?.close();
    await dns?.close();
  });

  async function open(customer: SeededCustomer, locale = 'en-GB') {
    return (await customerPage(suite.open, customer, { locale, height: 1000 })).page;
  }

  /** A case of `customer` with its samples, once intake has checked them (queued). */
  async function submitted(customer: SeededCustomer, files: Array<{ name: string; content: Buffer }>, premium = false) {
    return queuedCase(customer, { severity: '1', databaseVersion: '102', premium: String(premium) }, files);
  }

  it('shows a case after submission: the report, the samples with their SHA-256 and the running response clock', async () => {
    const customer = await seedCustomer(web.env, { tier: 'msa_start', roundTheClock: true });
    const files = [
      { name: 'dropper.exe', content: randomBytes(4096) },
      { name: 'loader.dll', content: randomBytes(1500) },
    ];
    const found = await submitted(customer, files, true);
    const page = await open(customer);
    await page.goto(`/cases/${found.id}`);
    await pageHeading(page, `Case ${found.reference}`);
    expect((await page.getByTestId('sample-sha256').allTextContents()).sort()).toEqual(
      files.map((file) => sha256(file.content)).sort(),
    );
    await page.getByText('dropper.exe').waitFor();
    expect(await page.getByTestId('response-clock').textContent()).toMatch(/^due in 5 h 5\d m working time$/);
    await page.getByText('Our qualified response is due by', { exact: false }).waitFor();
    expect(await page.getByTestId('case-status').textContent()).toBe('Queued');
    await page.getByText('Premium incident').waitFor();
    await page.getByText('Endpoint Security for Business').waitFor();
    await page.getByText('Version 102', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.getByText('Samples received and checked').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    // and in the dark theme: the clock's and the status's colours keep their contrast
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('html[data-mantine-color-scheme="dark"]').waitFor({ state: 'attached' });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });

  it("shows the analyst's question; the customer answers with text and a dropped sample, and the case leaves awaiting_customer", async () => {
    const customer = await seedCustomer(web.env, { tier: 'msa_start', roundTheClock: true });
    const analyst = await seedKey(web.env, 'analyst');
    const found = await submitted(customer, [{ name: 'first.bin', content: randomBytes(2000) }]);
    await claimedCase(analyst, found.id);
    const page = await open(customer);
    const streams: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/events') streams.push(request.url());
    });
    await page.goto(`/cases/${found.id}`);
    await pageHeading(page, `Case ${found.reference}`);
    await page.getByText('Status: In review').waitFor();

    // asked while the page is open: the page shows it by itself, told by the live updates (its own polling, every
    // 60 s, would come after this wait ends)
    const question = 'Which process wrote this file? Please send the installer it came with.';
    const asked = await analyst.post(`/v1/cases/${found.id}/responses`, { message: question, awaitCustomer: true });
    expect(asked.status).toBe(200);
    await page.getByRole('heading', { name: 'Our analyst needs your answer' }).waitFor({ timeout: 40_000 });
    expect(await page.getByTestId('analyst-question').textContent()).toBe(question);
    expect(streams.length).toBeGreaterThan(0);
    expect(await page.getByTestId('case-status').textContent()).toBe('Waiting for you');
    expect(await page.getByTestId('response-clock').textContent()).toMatch(/^paused while we wait for you/);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // an empty answer is refused on the page
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Write your answer.').waitFor();

    const installer = randomBytes(3000);
    await page.getByRole('textbox', { name: 'Your answer' }).fill('It came with setup.exe, attached.');
    await page
      .locator('input[type=file]')
      .setInputFiles([{ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: installer }]);
    expect(await page.getByTestId('sha256').textContent()).toBe(sha256(installer));
    await saveScreenshot(page, 'customer-case-question');

    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByRole('heading', { name: 'Our analyst needs your answer' }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('case-status').textContent()).toBe('In review');
    await page.getByText('Samples added: 1').waitFor();
    const after = await customer.client.get(`/v1/submissions/${found.id}`);
    expect(after.body.status).toBe('in_review');
    expect(after.body.samples.map((s: { sha256: string }) => s.sha256)).toContain(sha256(installer));
    const reply = after.body.timeline.find((e: { type: string }) => e.type === 'customer_reply');
    expect(reply.data).toEqual({ message: 'It came with setup.exe, attached.', samplesAdded: [sha256(installer)] });
  });

  it('shows the question and the reply box in Spanish', async () => {
    const customer = await seedCustomer(web.env, { tier: 'standard', roundTheClock: true });
    const analyst = await seedKey(web.env, 'analyst');
    const found = await submitted(customer, [{ name: 'muestra.bin', content: randomBytes(500) }]);
    await claimedCase(analyst, found.id);
    await analyst.post(`/v1/cases/${found.id}/responses`, {
      message: '¿Desde qué ruta se ejecutó el archivo?',
      awaitCustomer: true,
    });
    const page = await open(customer, 'es-ES');
    await page.goto(`/cases/${found.id}`);
    await pageHeading(page, `Caso ${found.reference}`);
    await page.getByRole('heading', { name: 'Nuestro analista necesita su respuesta' }).waitFor();
    await page.getByRole('textbox', { name: 'Su respuesta' }).waitFor();
    expect(await page.getByTestId('case-status').textContent()).toBe('Esperando su respuesta');
    await page.getByText('Pregunta del analista').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-case-question-es');
  });

  it('shows a fixed case with the database version and how to update, in English and Spanish', async () => {
    const customer = await seedCustomer(web.env, { tier: 'msa_start' });
    const found = await submitted(customer, [{ name: 'fixed.bin', content: randomBytes(700) }]);
    // the case as a published build leaves it (the build pipeline is tested in builds.e2e-spec.ts)
    await web.env.db
      .updateTable('cases')
      .set({ status: 'fixed', fixed_in_database_version: 103, first_response_at: new Date() })
      .where('id', '=', found.id)
      .execute();
    await web.env.db
      .insertInto('case_events')
      .values({
        case_id: found.id,
        type: 'status_changed',
        from_status: 'fix_scheduled',
        to_status: 'fixed',
        actor_role: 'system',
        data: JSON.stringify({ fixedInDatabaseVersion: 103, message: 'Fixed in database version 103.' }),
      })
      .execute();

    const page = await open(customer);
    await page.goto(`/cases/${found.id}`);
    await pageHeading(page, `Case ${found.reference}`);
    await page.getByText('Fixed in database 103').waitFor();
    await page
      .getByText("Update your product's antivirus databases to version 103 or later", { exact: false })
      .waitFor();
    await page.getByText('Status: Fixed').waitFor();
    await page.getByText('The fix is in database 103, now published.').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-case-fixed');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('html[data-mantine-color-scheme="dark"]').waitFor({ state: 'attached' });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-case-fixed-dark');
    await page.context().close();

    const spanish = await open(customer, 'es-ES');
    await spanish.goto(`/cases/${found.id}`);
    await pageHeading(spanish, `Caso ${found.reference}`);
    await spanish.getByText('Corregido en las bases de datos 103').waitFor();
    await spanish.getByText('La corrección está en las bases de datos 103, ya publicadas.').waitFor();
    // the API's sentences are English: the page tells the facts in the person's language instead
    expect(await spanish.getByText('Fixed in database version 103.').count()).toBe(0);
    await saveScreenshot(spanish, 'customer-case-fixed-es');
  });

  it("shows not-found for another organisation's case, and for an address that is no case", async () => {
    const owner = await seedCustomer(web.env, { name: 'Owner S.L.' });
    const stranger = await seedCustomer(web.env, { name: 'Stranger S.A.' });
    const theirs = await owner.client.upload('/v1/submissions', submissionForm({ databaseVersion: '102' }));
    expect(theirs.status).toBe(201);
    const page = await open(stranger);
    const answers: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/v1/submissions/')) answers.push(response.status());
    });
    await page.goto(`/cases/${theirs.body.id}`);
    await pageHeading(page, 'Case not found');
    await page.getByText('it belongs to another organisation', { exact: false }).waitFor();
    expect(await page.getByText(theirs.body.reference).count()).toBe(0);
    // asked again when the live updates stream starts ("read what you show"): the API answers 404 every time
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers)).toEqual(new Set([404]));
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    await page.goto('/cases/not-a-case');
    await pageHeading(page, 'Case not found');
  });

  it('creates a webhook (the secret shown once), shows its deliveries, and deletes it after confirmation', async () => {
    const customer = await seedCustomer(web.env, { tier: 'msa_start' });
    const page = await open(customer);
    await page.goto('/settings');
    await pageHeading(page, 'Settings');
    await page.getByText('No webhook yet.').waitFor();

    // refused on the page: no address, not an address
    const address = page.getByRole('textbox', { name: 'Address' });
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Enter the address that receives the webhooks.').waitFor();
    await address.fill('hooks dot example');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Enter a full address such as', { exact: false }).waitFor();
    // refused by the API: a private address
    await address.fill('https://10.0.0.8/hook');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('sigdesk only sends webhooks to public internet addresses', { exact: false }).waitFor();
    expect((await customer.client.get('/v1/webhooks')).body.items).toEqual([]);

    await address.fill('https://hooks.acme.example/sigdesk');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Webhook added: copy its secret now').waitFor();
    const secret = await page.getByTestId('webhook-secret-value').textContent();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await page.getByText('https://hooks.acme.example/sigdesk', { exact: true }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // a receiver that answers: a case's status changes are delivered to it
    await address.fill(`${receiver.url}/sigdesk`);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText(`Requests to ${receiver.url}/sigdesk are signed`, { exact: false }).waitFor();
    await page.getByRole('button', { name: 'I have kept it' }).click();
    await page.getByTestId('webhook-secret').waitFor({ state: 'detached' });
    const listed = (await customer.client.get('/v1/webhooks')).body.items;
    expect(listed.map((w: { url: string }) => w.url).sort()).toEqual(
      ['https://hooks.acme.example/sigdesk', `${receiver.url}/sigdesk`].sort(),
    );
    // the secret is nowhere but in the answer that created the webhook
    await page.reload();
    await pageHeading(page, 'Settings');
    expect(await page.getByText(secret!).count()).toBe(0);

    const created = await submitted(customer, [{ name: 'hooked.bin', content: randomBytes(100) }]);
    await receiver.payloadsAbout(created.id, 1);
    const hooked = listed.find((w: { url: string }) => w.url.startsWith(receiver.url));
    const sent = await eventually(
      () => customer.client.get(`/v1/webhooks/${hooked.id}/deliveries`),
      (res) => res.body.items.length > 0 && res.body.items.every((d: { status: string }) => d.status === 'delivered'),
    );
    expect(sent.body.items[0]).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    await page.getByRole('button', { name: `Deliveries to ${receiver.url}/sigdesk` }).click();
    const deliveries = page.getByRole('table', { name: `Latest deliveries to ${receiver.url}/sigdesk, newest first` });
    await deliveries.getByText('Delivered').first().waitFor();
    expect(await deliveries.getByRole('row').nth(1).textContent()).toContain('200');

    // a test event, sent like the others and listed with them
    await page.getByRole('button', { name: `Send a test event to ${receiver.url}/sigdesk` }).click();
    await page.getByText('Test event sent to the queue', { exact: false }).waitFor();
    const test = await receiver.waitFor((request) => request.headers['sigdesk-event'] === 'webhook.test');
    expect(test.json).toMatchObject({ type: 'webhook.test', webhook: { url: `${receiver.url}/sigdesk` } });
    await deliveries.getByRole('row').filter({ hasText: 'webhook.test' }).getByText('Delivered').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-settings-webhooks');

    await page.getByRole('button', { name: 'Delete the webhook https://hooks.acme.example/sigdesk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await dialog.waitFor();
    // kept on second thoughts
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await customer.client.get('/v1/webhooks')).body.items).toHaveLength(2);
    await page.getByRole('button', { name: 'Delete the webhook https://hooks.acme.example/sigdesk' }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('https://hooks.acme.example/sigdesk', { exact: true }).waitFor({ state: 'detached' });
    expect((await customer.client.get('/v1/webhooks')).body.items.map((w: { url: string }) => w.url)).toEqual([
      `${receiver.url}/sigdesk`,
    ]);
  });

  it('manages webhooks in Spanish', async () => {
    const customer = await seedCustomer(web.env, { tier: 'standard' });
    const page = await open(customer, 'es-ES');
    await page.goto('/settings');
    await pageHeading(page, 'Configuración');
    await page.getByText('Todavía no hay ningún webhook.').waitFor();
    await page.getByRole('textbox', { name: 'Dirección' }).fill('https://hooks.acme.example/avisos');
    await page.getByRole('button', { name: 'Añadir webhook' }).click();
    await page.getByText('Webhook añadido: copie ahora su secreto').waitFor();
    await page.getByRole('button', { name: 'Copiar el secreto' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-settings-webhooks-es');
    await page.getByRole('button', { name: 'Eliminar el webhook https://hooks.acme.example/avisos' }).click();
    await page
      .getByRole('dialog', { name: '¿Eliminar este webhook?' })
      .getByRole('button', { name: 'Eliminar el webhook' })
      .click();
    await page.getByText('Todavía no hay ningún webhook.').waitFor();
    expect((await customer.client.get('/v1/webhooks')).body.items).toEqual([]);
  });
});
