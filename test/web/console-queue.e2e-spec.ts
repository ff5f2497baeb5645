import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import {
  ApiClient,
  eventually,
  focusedControl,
  pageHeading,
  saveScreenshot,
  SeededCustomer,
  seedCustomer,
  seedKey,
  seedRelease,
  seriousAccessibilityViolations,
} from '@sigdesk/testing';
import { emptyQueue as emptyAnalystQueue, queuedCase } from '../support/cases';
import { browserSuite, noSeriousViolationsInBothThemes, staffPage } from './support/suite';

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

describe("the analyst's queue and case pages in a real browser", () => {
  const { web, open } = browserSuite({ worker: true });
  let msa: SeededCustomer;
  let standard: SeededCustomer;
  let cleaner: ApiClient;

  beforeAll(async () => {
    await seedRelease(web.env, 101, new Date(Date.now() - 2 * 86_400_000));
    await seedRelease(web.env, 102, new Date(Date.now() - 86_400_000));
    msa = await seedCustomer(web.env, { tier: 'msa_start', name: 'Northwind Logistics', roundTheClock: true });
    standard = await seedCustomer(web.env, { tier: 'standard', name: 'Contoso Retail', roundTheClock: true });
    cleaner = await seedKey(web.env, 'analyst');
  });

  async function analystPage(displayName: string, options: { locale?: string } = {}) {
    const { page, person } = await staffPage(
      open,
      { role: 'analyst', displayName },
      { locale: options.locale ?? 'en-GB', height: 1000, width: 1440 },
    );
    return { page, person };
  }

  /** A case of `customer`, once intake has checked its samples and queued it. */
  async function submitted(
    customer: SeededCustomer,
    fields: Record<string, string> = {},
    content: Buffer = randomBytes(2048),
  ) {
    const found = await queuedCase(
      customer,
      {
        severity: '2',
        databaseVersion: '102',
        description: 'The product misses this dropper: it writes a DLL into System32 and starts it.',
        ...fields,
      },
      [{ name: 'dropper.exe', content }],
    );
    return { id: found.id, reference: found.reference, content };
  }

  /** Every queued case out of the way, so that a test sees its own cases first. */
  const emptyQueue = () => emptyAnalystQueue(cleaner);

  const rowReferences = (page: Page) => page.getByTestId('queue-row').locator('td:first-child a').allTextContents();

  it('lists the queue in contract order with live countdowns, and shows a new case without reloading', async () => {
    await emptyQueue();
    const standardS1 = await submitted(standard, { severity: '1' });
    const msaS3 = await submitted(msa, { severity: '3' });
    const msaS1 = await submitted(msa, { severity: '1' });
    const msaPremium = await submitted(msa, { severity: '4', premium: 'true' });

    const { page } = await analystPage('Lucía Fernández');
    await page.goto('/queue');
    await pageHeading(page, 'Review queue');
    await page.getByTestId('queue-row').first().waitFor();
    expect(await rowReferences(page)).toEqual([
      msaPremium.reference,
      msaS1.reference,
      msaS3.reference,
      standardS1.reference,
    ]);
    const first = page.getByTestId('queue-row').nth(1);
    expect(await first.getByTestId('countdown').textContent()).toMatch(/^5 h 5\d m left$/);
    expect(await first.getByTestId('countdown').getAttribute('data-clock')).toBe('fine');
    await first.getByText('Northwind Logistics').waitFor();
    expect(await first.textContent()).toContain('MSA Start');

    // a case the customer submits now appears by itself: the live updates, not the page's own polling (60 s)
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const arriving = await submitted(msa, { severity: '2' });
    await page.getByTestId('queue-row').filter({ hasText: arriving.reference }).waitFor({ timeout: 20_000 });
    expect(await rowReferences(page)).toEqual([
      msaPremium.reference,
      msaS1.reference,
      arriving.reference,
      msaS3.reference,
      standardS1.reference,
    ]);
    expect(navigations).toEqual([]);

    // the filters: standard cases only
    await page.getByRole('combobox', { name: 'Tier' }).click();
    await page.getByRole('option', { name: 'Standard' }).click();
    await eventually(
      () => rowReferences(page),
      (refs) => refs.length === 1,
    );
    expect(await rowReferences(page)).toEqual([standardS1.reference]);
    await page.getByRole('combobox', { name: 'Tier' }).click();
    await page.getByRole('option', { name: 'Standard' }).click();
    await eventually(
      () => rowReferences(page),
      (refs) => refs.length === 5,
    );

    await saveScreenshot(page, 'console-queue');
    await noSeriousViolationsInBothThemes(page, 'console-queue-dark');
  });

  it('claims the next case with the keyboard and opens it; a second analyst sees who holds it', async () => {
    await emptyQueue();
    const top = await submitted(msa, { severity: '1', premium: 'true' });
    const other = await submitted(standard, { severity: '3' });
    const lucia = await analystPage('Lucía Fernández');
    await lucia.page.goto('/queue');
    await pageHeading(lucia.page, 'Review queue');
    await lucia.page.getByTestId('queue-row').first().waitFor();

    // j and k move the selection, Enter would open it; c claims the first of the queue
    await lucia.page.keyboard.press('j');
    expect(await lucia.page.getByTestId('queue-row').nth(1).getAttribute('aria-current')).toBe('true');
    await lucia.page.keyboard.press('k');
    expect(await lucia.page.getByTestId('queue-row').nth(0).getAttribute('aria-current')).toBe('true');
    await lucia.page.keyboard.press('c');
    await pageHeading(lucia.page, `Case ${top.reference}`);
    expect(new URL(lucia.page.url()).pathname).toBe(`/review/${top.id}`);
    expect(await lucia.page.getByTestId('claim-state').textContent()).toMatch(/^You hold this case since /);
    expect(await lucia.page.getByTestId('case-status').textContent()).toBe('In review');

    const pedro = await analystPage('Pedro Gómez');
    await pedro.page.goto('/queue');
    await pageHeading(pedro.page, 'Review queue');
    await pedro.page.getByTestId('queue-row').first().waitFor();
    expect(await rowReferences(pedro.page)).toEqual([other.reference]);
    await pedro.page.locator('label').getByText('Claimed', { exact: true }).click();
    const held = pedro.page.getByTestId('queue-row').filter({ hasText: top.reference });
    await held.waitFor();
    expect(await held.getByTestId('holder').textContent()).toBe('Lucía Fernández');
    // the queue's own page says "You" for one's own claims
    await lucia.page.goto('/queue');
    await lucia.page.locator('label').getByText('All', { exact: true }).click();
    await lucia.page.getByTestId('queue-row').filter({ hasText: top.reference }).getByText('You').waitFor();

    await pedro.page.goto(`/review/${top.id}`);
    await pageHeading(pedro.page, `Case ${top.reference}`);
    expect(await pedro.page.getByTestId('claim-state').textContent()).toMatch(
      /^Lucía Fernández holds this case since /,
    );
    await pedro.page.getByText('Claim the case to act on it.').waitFor();
    await pedro.page.getByRole('button', { name: 'Take over' }).waitFor();

    // the queue says when the queue is empty
    await emptyQueue();
    await pedro.page.goto('/queue');
    await pageHeading(pedro.page, 'Review queue');
    await pedro.page.getByRole('button', { name: 'Claim next' }).click();
    expect(await pedro.page.getByTestId('queue-notice').textContent()).toContain(
      'The queue is empty: there is no case to claim.',
    );
  });

  it('shows the case, asks the customer (clock paused), gives a verdict, and downloads the sample as a ZIP', async () => {
    await emptyQueue();
    const content = randomBytes(3000);
    const earlier = await submitted(standard, { severity: '3' }, content);
    const found = await submitted(msa, { severity: '1', premium: 'true' }, content);
    const { page } = await analystPage('Lucía Fernández');
    await page.goto('/queue');
    await pageHeading(page, 'Review queue');
    await page.getByRole('button', { name: `Claim ${found.reference}` }).click();
    await pageHeading(page, `Case ${found.reference}`);

    // the report, the customer and contract, the samples with their hashes, triage and the other case
    await page.getByTestId('case-description').getByText('writes a DLL into System32').waitFor();
    await page.getByText('Northwind Logistics').first().waitFor();
    expect(await page.getByTestId('sample-sha256').textContent()).toBe(sha256(content));
    expect(await page.getByTestId('sample-sha1').textContent()).toBe(createHash('sha1').update(content).digest('hex'));
    expect(await page.getByTestId('sample-md5').textContent()).toBe(createHash('md5').update(content).digest('hex'));
    // before the intake job has computed them, SHA-1 and MD5 are null: the page says they come later
    await page.route(`**/v1/cases/${found.id}`, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.samples = body.samples.map((s: object) => ({ ...s, sha1: null, md5: null }));
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await pageHeading(page, `Case ${found.reference}`);
    await page.getByTestId('sample-md5').getByText('Computed after intake').waitFor();
    expect(await page.getByTestId('sample-sha1').textContent()).toBe('Computed after intake');
    expect(await page.getByTestId('sample-md5').textContent()).toBe('Computed after intake');
    expect(await page.getByTestId('sample-sha256').textContent()).toBe(sha256(content));
    await page.unrouteAll();
    await page.reload();
    await pageHeading(page, `Case ${found.reference}`);
    expect(await page.getByTestId('sample-md5').textContent()).toBe(createHash('md5').update(content).digest('hex'));
    expect(await page.getByTestId('sample-triage').textContent()).toContain('Not detected');
    expect(await page.getByTestId('sample-triage').textContent()).toContain('Database 102 at intake');
    await page.getByTestId('sample-others').getByRole('link', { name: earlier.reference }).waitFor();
    expect(await page.getByTestId('clock-state').textContent()).toBe('Running');
    expect(await page.getByTestId('case-countdown').textContent()).toMatch(/^5 h 5\d m left$/);

    // every action says what it does to the clock before it is taken
    expect(await page.getByTestId('ask-effect').textContent()).toBe(
      'Sends the question to the customer and pauses the response clock until they answer.',
    );
    expect(await page.getByTestId('respond-effect').textContent()).toContain('stops the response clock');
    expect(await page.getByTestId('verdict-effect').textContent()).toContain('stops the response clock');
    await page.getByRole('link', { name: 'Write a signature change' }).waitFor();
    expect(await page.getByRole('link', { name: 'Write a signature change' }).getAttribute('href')).toBe(
      `/review/${found.id}/change`,
    );
    await saveScreenshot(page, 'console-case');
    await noSeriousViolationsInBothThemes(page, 'console-case-dark');

    // the download: d, a ZIP protected with "infected" as an attachment
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('d')]);
    expect(download.suggestedFilename()).toBe(`${sha256(content)}.zip`);
    const zip = await readFile((await download.path())!);
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    // general purpose flag bit 0: the entry is encrypted
    expect(zip.readUInt16LE(6) & 1).toBe(1);
    expect(zip.includes(content.subarray(0, 64))).toBe(false);

    // ask the customer: a focuses the question; an empty one is refused on the page
    const askField = page.getByRole('textbox', { name: 'Ask the customer' });
    await page.keyboard.press('a');
    expect(await focusedControl(page)).toMatch(/^textbox "Ask the customer/);
    await page.getByRole('button', { name: 'Send the question' }).click();
    await page.getByText('Write a message first.').first().waitFor();
    const question = 'Which process wrote this file? Please send the installer it came with.';
    await askField.fill(question);
    await page.getByRole('button', { name: 'Send the question' }).click();
    await page.getByTestId('waiting').waitFor();
    expect(await page.getByTestId('case-status').textContent()).toBe('Waiting for customer');
    expect(await page.getByTestId('clock-state').textContent()).toBe('Paused: waiting for the customer');

    const asCustomer = await msa.client.get(`/v1/submissions/${found.id}`);
    expect(asCustomer.body.status).toBe('awaiting_customer');
    expect(asCustomer.body.responseClock.state).toBe('paused');
    expect(asCustomer.body.timeline.at(-1)).toMatchObject({ data: { message: question } });

    // the customer answers; the case comes back to its analyst, live
    const reply = await msa.client.post(`/v1/submissions/${found.id}/replies`, { message: 'It came with setup.exe.' });
    expect(reply.status).toBe(201);
    await eventually(
      () => page.getByTestId('case-status').textContent(),
      (status) => status === 'In review',
    );
    expect(await page.getByTestId('case-status').textContent()).toBe('In review');

    // the verdict, with its note, to the whole group
    await page.keyboard.press('v');
    expect(await focusedControl(page)).toMatch(/^combobox "Verdict"/);
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'Confirmed: a signature change follows' }).click();
    await page.getByRole('textbox', { name: 'Note for the analysts' }).fill('Reproduced with database 102.');
    await page.getByRole('checkbox', { name: 'Also apply it to the open cases with the same sample (1 more)' }).check();
    await page.getByRole('button', { name: 'Give the verdict' }).click();
    await page.getByText(`Verdict given to ${found.reference}, ${earlier.reference}.`).waitFor();
    expect(await page.getByTestId('case-status').textContent()).toBe('Confirmed');
    expect(await page.getByTestId('verdict').textContent()).toContain('Reproduced with database 102.');
    expect((await msa.client.get(`/v1/submissions/${found.id}`)).body.status).toBe('confirmed');
    expect((await standard.client.get(`/v1/submissions/${earlier.id}`)).body.status).toBe('confirmed');
  });

  it("says not found for an unknown case or an address that is no case's, in Spanish too", async () => {
    const { page } = await analystPage('Lucía Fernández');
    await page.goto('/review/00000000-0000-4000-8000-000000000000');
    await pageHeading(page, 'Case not found');
    await page.goto('/review/not-a-case');
    await pageHeading(page, 'Case not found');
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await pageHeading(page, 'Review queue');

    const spanish = await analystPage('Marta Ruiz', { locale: 'es-ES' });
    await spanish.page.goto('/review/00000000-0000-4000-8000-000000000000');
    await pageHeading(spanish.page, 'Caso no encontrado');
    await spanish.page.goto('/queue');
    await pageHeading(spanish.page, 'Cola de revisión');
    expect(await seriousAccessibilityViolations(spanish.page)).toEqual([]);
  });

  it('lists the shortcuts of each page with ?', async () => {
    const found = await submitted(standard, { severity: '4' });
    const { page } = await analystPage('Lucía Fernández');
    await page.goto('/queue');
    await pageHeading(page, 'Review queue');
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const action of [
      'Claim the next case and open it',
      'Select the next case',
      'Select the previous case',
      'Open the selected case',
      'Go to the filters',
    ]) {
      await dialog.getByText(action).waitFor();
    }
    await page.keyboard.press('Escape');
    await page.keyboard.press('/');
    expect(await focusedControl(page)).toMatch(/"Tier"$/);

    await page.goto(`/review/${found.id}`);
    await pageHeading(page, `Case ${found.reference}`);
    await page.keyboard.press('?');
    for (const action of [
      'Write a question to the customer',
      'Write the qualified response',
      'Give a verdict',
      'Download the first sample',
      'Claim this case',
    ]) {
      await dialog.getByText(action).waitFor();
    }
    await page.keyboard.press('Escape');
    await page.keyboard.press('c');
    await page.getByTestId('claim-state').getByText('You hold this case since', { exact: false }).waitFor();
  });
});
