import { randomBytes } from 'node:crypto';
import {
  eventually,
  pageHeading,
  saveScreenshot,
  seedCustomer,
  seedRelease,
  seriousAccessibilityViolations,
  submissionForm,
} from '@sigdesk/testing';
import { NO_PROBLEMS, replaceRule } from './support/rule-editor';
import { standInForSessions } from './support/sessions';
import { browserSuite, staffPage } from './support/suite';

/**
 * The whole way of a customer's false negative through people's pages, four of them at once, each in a browser of
 * their own: the customer (Ana), two analysts (Lucía writes the rule, Tomás approves it) and a release engineer
 * (Jorge). Nothing is done through the API but the customer's upload and what the test reads to check.
 */
describe('a false negative from the queue to a published build, by four people in four browsers', () => {
  const { web, open } = browserSuite({ worker: true, env: { SIGDESK_EXPEDITED_WINDOW_SECONDS: '1' } });
  const size = { height: 1100, width: 1440 };

  beforeAll(async () => {
    await seedRelease(web.env, 1);
  });

  it('claim, ask, answer, confirm, write and fix a rule, validate, approve, build, publish: the customer sees "fixed"', async () => {
    const customer = await seedCustomer(web.env, {
      tier: 'msa_start',
      roundTheClock: true,
      name: 'Northwind Logistics',
    });
    const marker = `NW-DROPPER-${randomBytes(5).toString('hex').toUpperCase()}`;
    const sample = Buffer.concat([Buffer.alloc(256, 0), Buffer.from(marker), Buffer.alloc(64, 0xff), randomBytes(64)]);
    const created = await customer.client.upload(
      '/v1/submissions',
      submissionForm({ severity: '1', databaseVersion: '1', premium: 'true' }, [
        { name: 'dropper.exe', content: sample },
      ]),
    );
    expect(created.status).toBe(201);
    const reference: string = created.body.reference;
    await eventually(
      () => customer.client.get(`/v1/submissions/${created.body.id}`),
      (res) => res.body.status === 'queued',
    );

    // the four of them, signed in
    const ana = await open(size);
    await standInForSessions(ana.context, true, { organizationId: customer.organizationId });
    const lucia = await staffPage(open, { role: 'analyst', displayName: 'Lucía Fernández' }, size);
    const tomas = await staffPage(open, { role: 'analyst', displayName: 'Tomás Ruiz' }, size);
    const jorge = await staffPage(open, { role: 'release', displayName: 'Jorge Navarro' }, size);

    await ana.page.goto(`/cases/${created.body.id}`);
    await pageHeading(ana.page, `Case ${reference}`);

    // Lucía claims the next case with the keyboard: the MSA Start premium one
    await lucia.page.goto('/');
    await lucia.page.waitForURL((url) => url.pathname === '/queue');
    await lucia.page.getByTestId('queue-row').filter({ hasText: reference }).waitFor();
    await lucia.page.keyboard.press('c');
    await pageHeading(lucia.page, `Case ${reference}`);
    expect(await lucia.page.getByTestId('claim-state').textContent()).toMatch(/^You hold this case since /);

    // she asks the customer: the clock pauses, and Ana's page shows the question by itself
    await lucia.page.getByRole('textbox', { name: 'Ask the customer' }).fill('Where did the file come from?');
    await lucia.page.getByRole('button', { name: 'Send the question' }).click();
    await lucia.page.getByTestId('waiting').waitFor();
    expect(await lucia.page.getByTestId('clock-state').textContent()).toBe('Paused: waiting for the customer');
    await ana.page.getByRole('heading', { name: 'Our analyst needs your answer' }).waitFor({ timeout: 40_000 });
    await ana.page.getByRole('textbox', { name: 'Your answer' }).fill('From an invoice e-mail, opened by accounting.');
    await ana.page.getByRole('button', { name: 'Send answer' }).click();
    await ana.page.getByRole('heading', { name: 'Our analyst needs your answer' }).waitFor({ state: 'detached' });

    // the answer reaches Lucía's page; she gives the qualified response and confirms the false negative
    await eventually(
      () => lucia.page.getByTestId('case-status').textContent(),
      (status) => status === 'In review',
    );
    await lucia.page.getByRole('textbox', { name: 'Qualified response' }).fill('Confirmed: a detection follows.');
    await lucia.page.getByRole('button', { name: 'Send the qualified response' }).click();
    await lucia.page.getByTestId('clock-state').getByText('Met', { exact: false }).waitFor();
    await lucia.page.getByRole('combobox', { name: 'Verdict' }).click();
    await lucia.page.getByRole('option', { name: 'Confirmed: a signature change follows' }).click();
    await lucia.page.getByRole('textbox', { name: 'Note for the analysts' }).fill('Reproduced with database 1.');
    await lucia.page.getByRole('button', { name: 'Give the verdict' }).click();
    await eventually(
      () => lucia.page.getByTestId('case-status').textContent(),
      (status) => status === 'Confirmed',
    );

    // the rule: first a typo the compiler marks inline, then fixed with the sample's own string
    await lucia.page.getByRole('link', { name: 'Write a signature change' }).click();
    await pageHeading(lucia.page, `Signature change for ${reference}`);
    await lucia.page.getByTestId('rule-editor').locator('.cm-content').waitFor();
    const ruleName = `Trojan_Dropper_Northwind_${randomBytes(2).toString('hex')}`;
    await replaceRule(lucia.page, `rule ${ruleName} {\n  meta:\n    case = "${reference}"\n  condition:\n    tru\n}`);
    await lucia.page.getByText('Line 5, column 5:', { exact: false }).waitFor();
    await replaceRule(
      lucia.page,
      `rule ${ruleName}\n{\n    meta:\n        case = "${reference}"\n    strings:\n    condition:\n        any of them\n}`,
    );
    await lucia.page.getByRole('textbox', { name: 'Filter strings' }).fill(marker);
    await lucia.page.getByRole('button', { name: 'Insert the string at 0x100 into the rule' }).click();
    await lucia.page.getByText(NO_PROBLEMS).waitFor();
    await lucia.page.locator('.cm-content').click();
    await lucia.page.keyboard.press('Control+Enter');
    await lucia.page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    const changeId = lucia.page.url().split('/').pop()!;
    await lucia.page.getByTestId('report-verdict').getByText('Every check passed').waitFor({ timeout: 60_000 });
    expect(await lucia.page.getByTestId('change-status').textContent()).toBe('Waiting for approval');

    // she cannot approve her own change
    await lucia.page.goto(`/approvals?change=${changeId}`);
    await lucia.page.getByTestId('waiting-for-other').waitFor();
    expect(await lucia.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // Jorge watches the builds; Tomás approves from his inbox
    await jorge.page.goto('/builds');
    await pageHeading(jorge.page, 'Builds');
    await tomas.page.goto('/approvals');
    await pageHeading(tomas.page, 'Approvals');
    await tomas.page.locator(`[data-change-id="${changeId}"]`).click();
    await tomas.page.getByTestId('selected-change').getByTestId('rule-source').getByText(`$s1 = "${marker}"`).waitFor();
    await tomas.page.getByRole('textbox', { name: 'Note' }).fill('Narrow and right.');
    await tomas.page.getByRole('button', { name: 'Approve' }).click();
    await tomas.page.locator(`[data-change-id="${changeId}"]`).waitFor({ state: 'detached' });

    // the expedited build appears on Jorge's page by itself, and is stored with every gate passed
    const row = jorge.page.getByRole('row').filter({ hasText: reference });
    await row.waitFor({ timeout: 60_000 });
    await row.getByText('Stored').waitFor({ timeout: 60_000 });
    await row.getByRole('img', { name: 'Clean corpus: passed' }).waitFor();
    const version = Number((await row.getByRole('link').first().textContent())!.replace('Build ', ''));
    await row.getByRole('link', { name: `Build ${version}` }).click();
    await pageHeading(jorge.page, `Build ${version}`);
    await jorge.page.getByRole('region', { name: 'What it changes' }).getByText(ruleName).waitFor();

    // the customer's case waits for the release
    await ana.page.getByTestId('case-status').getByText('Fix scheduled', { exact: false }).waitFor({ timeout: 40_000 });

    await jorge.page.emulateMedia({ reducedMotion: 'reduce' });
    await jorge.page.getByRole('button', { name: 'Publish', exact: true }).click();
    const dialog = jorge.page.getByRole('dialog', { name: `Publish build ${version} on default?` });
    await dialog.getByText(reference).waitFor();
    await dialog.getByRole('button', { name: `Publish build ${version}` }).click();
    await jorge.page.getByText(`Build ${version} is published; 1 cases fixed.`).waitFor();

    // and Ana sees it fixed, with the version to update to, without reloading
    await ana.page.getByText(`Fixed in database ${version}`).waitFor({ timeout: 40_000 });
    expect(await seriousAccessibilityViolations(ana.page)).toEqual([]);
    await saveScreenshot(ana.page, 'journey-customer-fixed');
    const fixed = await customer.client.get(`/v1/submissions/${created.body.id}`);
    expect(fixed.body).toMatchObject({ status: 'fixed', fixedInDatabaseVersion: version });
  }, 300_000);
});
