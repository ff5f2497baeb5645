import { randomBytes } from 'node:crypto';
import {
  ApiClient,
  EICAR,
  eventually,
  pageHeading,
  saveScreenshot,
  SeededCustomer,
  seedCustomer,
  seedRelease,
} from '@sigdesk/testing';
import { claimedCase, queuedCase } from '../support/cases';
import { NO_PROBLEMS, replaceRule } from './support/rule-editor';
import { browserSuite, noSeriousViolationsInBothThemes, type SessionApi, staffPage } from './support/suite';

describe('the rule editor, validation reports and approvals in a real browser', () => {
  const { web, open } = browserSuite({ worker: true });
  let customer: SeededCustomer;

  beforeAll(async () => {
    await seedRelease(web.env, 1);
    customer = await seedCustomer(web.env, { tier: 'msa_start', roundTheClock: true });
  });

  async function analyst(displayName: string) {
    return staffPage(open, { role: 'analyst', displayName }, { height: 1100, width: 1440 });
  }

  /** A customer's case with one sample, once intake has checked it (queued). */
  async function submitted(kind: 'false_negative' | 'false_positive', content: Buffer) {
    return queuedCase(
      customer,
      {
        kind,
        severity: '1',
        databaseVersion: '1',
        premium: 'false',
        detectionName: kind === 'false_positive' ? 'EICAR-Test-File' : undefined,
      },
      [{ name: kind === 'false_negative' ? 'dropper.exe' : 'handbook.txt', content }],
    );
  }

  /** The analyst claims cases through the API until it has `caseId`, then confirms it. */
  async function claimAndConfirm(api: SessionApi, caseId: string) {
    await claimedCase(api, caseId);
    const verdict = await api.post(`/v1/cases/${caseId}/verdict`, { verdict: 'confirmed', note: 'reproduced' });
    expect(verdict.status).toBe(200);
  }

  it('writes a rule for a false negative: an inline diagnostic, fixed, a pattern from the sample, validated and approved by a second analyst', async () => {
    const marker = `SIGDESK-MARKER-${randomBytes(5).toString('hex').toUpperCase()}`;
    const sample = Buffer.concat([Buffer.alloc(256, 0), Buffer.from(marker), Buffer.alloc(64, 0xff)]);
    const found = await submitted('false_negative', sample);
    const author = await analyst('Lucía Fernández');
    await claimAndConfirm(author.api, found.id);

    // the second analyst keeps the inbox open: the change appears there by itself once validated
    const reviewer = await analyst('Tomás Ruiz');
    await reviewer.page.goto('/approvals');
    await pageHeading(reviewer.page, 'Approvals');

    const page = author.page;
    await page.goto(`/review/${found.id}/change`);
    await pageHeading(page, `Signature change for ${found.reference}`);
    const editor = page.getByTestId('rule-editor');
    await editor.locator('.cm-content').waitFor();
    // the template carries the case reference; its empty strings section is the first thing the check reports
    expect(await editor.locator('.cm-content').textContent()).toContain(`case = "${found.reference}"`);
    await page.getByTestId('diagnostic').first().waitFor();

    // a typo in the condition: the compiler's error is marked on line 5, where it is
    const ruleName = `Trojan_Dropper_${randomBytes(3).toString('hex')}`;
    await replaceRule(page, `rule ${ruleName} {\n  meta:\n    case = "${found.reference}"\n  condition:\n    tru\n}`);
    await page.getByText('Line 5, column 5:', { exact: false }).waitFor();
    const lines = editor.locator('.cm-line');
    await lines.nth(4).locator('.cm-lintRange-error').waitFor();
    expect(await lines.nth(4).locator('.cm-lintRange-error').textContent()).toBe('tru');
    expect(await lines.nth(0).locator('.cm-lintRange-error').count()).toBe(0);
    expect(await page.getByTestId('check-status').textContent()).toMatch(/1 error\(s\)/);
    await saveScreenshot(page, 'console-rule-editor-diagnostic');

    // fixed, and the pattern picked from the sample's printable strings
    await replaceRule(
      page,
      `rule ${ruleName}\n{\n    meta:\n        case = "${found.reference}"\n    strings:\n    condition:\n        any of them\n}`,
    );
    await page.getByRole('textbox', { name: 'Filter strings' }).fill(marker);
    await page.getByRole('button', { name: 'Insert the string at 0x100 into the rule' }).click();
    await page.getByText(NO_PROBLEMS).waitFor();
    expect(await editor.locator('.cm-content').textContent()).toContain(`$s1 = "${marker}"`);
    expect(await page.getByTestId('diagnostic').count()).toBe(0);

    // the hex view reads the bytes at an offset
    await page.getByRole('tab', { name: 'Bytes (hex)' }).click();
    await page.getByRole('textbox', { name: 'Offset' }).fill('0x100');
    await page.getByRole('button', { name: 'Show bytes' }).click();
    await page.getByTestId('sample-hex').getByText(marker.slice(0, 16)).waitFor();
    await page.getByRole('tab', { name: 'Printable strings' }).click();
    await saveScreenshot(page, 'console-rule-editor');
    await noSeriousViolationsInBothThemes(page, 'console-rule-editor-dark');

    // Ctrl+Enter in the editor submits, once
    const proposals: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && /\/signature-changes$/.test(new URL(request.url()).pathname)) {
        proposals.push(request.url());
      }
    });
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Enter');
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    const changeId = page.url().split('/').pop()!;
    expect(proposals).toHaveLength(1);
    await pageHeading(page, `Signature change ${ruleName}`);
    expect(await page.getByTestId('case-link').textContent()).toBe(found.reference);

    // the report, once the validation is done: every check with its result and evidence
    await page.getByTestId('report-verdict').getByText('Every check passed').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('check-result').allTextContents()).toEqual(Array(6).fill('Passed'));
    const fixes = page.getByTestId('check-fixes_case');
    expect(await fixes.textContent()).toContain(ruleName);
    expect(await fixes.textContent()).toContain('at 0x100');
    expect(await page.getByTestId('scan-budget').textContent()).toMatch(/ms of processor time with the change/);
    expect(await page.getByTestId('detection-diff').textContent()).toContain(`detected by ${ruleName}`);
    expect(await page.getByTestId('change-status').textContent()).toBe('Waiting for approval');
    await saveScreenshot(page, 'console-change-report');
    await noSeriousViolationsInBothThemes(page);

    // the author's own change waits for another analyst: no buttons for them
    await page.goto(`/approvals?change=${changeId}`);
    await page.getByTestId('waiting-for-other').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    expect(await page.locator(`[data-change-id="${changeId}"]`).textContent()).toContain('yours');

    // the reviewer's inbox shows it without reloading; they read the rule and the report, and approve
    const item = reviewer.page.locator(`[data-change-id="${changeId}"]`);
    await item.waitFor({ timeout: 40_000 });
    await item.click();
    const selected = reviewer.page.getByTestId('selected-change');
    await selected.getByTestId('rule-source').getByText(`$s1 = "${marker}"`).waitFor();
    await selected.getByTestId('report-verdict').waitFor();
    expect(await selected.getByTestId('case-link').getAttribute('href')).toBe(`/review/${found.id}`);
    await saveScreenshot(reviewer.page, 'console-approvals');
    await noSeriousViolationsInBothThemes(reviewer.page);

    // a rejection needs a reason: said on the page before anything is sent
    await reviewer.page.getByRole('button', { name: 'Reject' }).click();
    await reviewer.page.getByText('Say why you reject the change.').waitFor();
    await reviewer.page.getByRole('textbox', { name: 'Note' }).fill('Narrow and right.');
    await reviewer.page.getByRole('button', { name: 'Approve' }).click();
    await eventually(
      () => author.api.get(`/v1/signature-changes/${changeId}`),
      (res) => res.body.status === 'approved',
    );
    expect((await author.api.get(`/v1/signature-changes/${changeId}`)).body).toMatchObject({
      status: 'approved',
      approvedByName: 'Tomás Ruiz',
      decisionNote: 'Narrow and right.',
    });
    await reviewer.page.locator(`[data-change-id="${changeId}"]`).waitFor({ state: 'detached' });

    // the author's page tells it by itself
    await page.goto(`/changes/${changeId}`);
    expect(await page.getByTestId('change-status').textContent()).toBe('Approved');
  }, 180_000);

  it('lists an imported rule pack in the approvals inbox by its pack, and a second analyst approves it', async () => {
    const admin = new ApiClient(web.env.url, web.env.adminKey);
    const form = new FormData();
    const suffix = randomBytes(3).toString('hex');
    form.append(
      'pack',
      new Blob([`rule Vendor_Pack_${suffix} { strings: $a = "VENDOR-PACK-${suffix}" condition: $a }\n`]),
      'vendor-pack.yar',
    );
    const created = await admin.upload('/v1/admin/rulesets/import', form);
    expect(created.status).toBe(202);
    await eventually(
      () => admin.get(`/v1/admin/rulesets/imports/${created.body.id}`),
      (res) => res.body.status !== 'analysing',
    );
    const accepted = await admin.post(`/v1/admin/rulesets/imports/${created.body.id}/accept`, { rules: 'unflagged' });
    expect(accepted.status).toBe(202);
    const changeId: string = accepted.body.id;
    await eventually(
      () => admin.get(`/v1/signature-changes/${changeId}`),
      (res) => res.body.status !== 'validating',
      60_000,
    );

    const reviewer = await analyst('Inés Navarro');
    await reviewer.page.goto(`/approvals`);
    const item = reviewer.page.locator(`[data-change-id="${changeId}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('Import of rule pack vendor-pack');
    expect(await item.textContent()).toContain('Rule pack vendor-pack');
    await item.click();
    await reviewer.page.getByRole('heading', { level: 2, name: 'Import of rule pack vendor-pack' }).waitFor();
    const selected = reviewer.page.getByTestId('selected-change');
    await selected.getByTestId('report-verdict').waitFor();
    expect(await selected.textContent()).toContain('Imported rule pack');
    await saveScreenshot(reviewer.page, 'console-approvals-rule-pack');
    await noSeriousViolationsInBothThemes(reviewer.page);
    await reviewer.page.getByRole('button', { name: 'Approve' }).click();
    await reviewer.page.locator(`[data-change-id="${changeId}"]`).waitFor({ state: 'detached' });
    expect((await admin.get(`/v1/signature-changes/${changeId}`)).body.status).toBe('approved');
  }, 180_000);

  it('survives hostile rules in the editor: too deep is a diagnostic, too large a clear refusal; page and API stay up', async () => {
    const found = await submitted('false_negative', Buffer.concat([randomBytes(200), Buffer.from('HOSTILE-CASE')]));
    const author = await analyst('Irene Molina');
    await claimAndConfirm(author.api, found.id);
    const page = author.page;
    await page.goto(`/review/${found.id}/change`);
    await pageHeading(page, `Signature change for ${found.reference}`);
    await page.getByTestId('rule-editor').locator('.cm-content').waitFor();

    const deep = `rule Deep {\n  meta:\n    case = "${found.reference}"\n  condition:\n    ${'('.repeat(3_000)}true${')'.repeat(3_000)}\n}`;
    await replaceRule(page, deep);
    await page.getByTestId('diagnostics').getByText(/nest/i).first().waitFor({ timeout: 20_000 });

    // past the API's bound on a rule (200,000 characters): refused, and the page says the check failed
    const huge = `rule Huge {\n  meta:\n    case = "${found.reference}"\n  strings:\n${Array.from(
      { length: 6_000 },
      (_, i) => `    $s${i} = "${randomBytes(12).toString('hex')}"`,
    ).join('\n')}\n  condition:\n    any of them\n}`;
    expect(huge.length).toBeGreaterThan(200_000);
    await replaceRule(page, huge);
    await page.getByText('The rule could not be checked', { exact: false }).waitFor({ timeout: 20_000 });
    await saveScreenshot(page, 'console-rule-editor-hostile');

    // the page still works: a good rule is checked as before
    await replaceRule(
      page,
      `rule Hostile_Fixed_${randomBytes(2).toString('hex')}\n{\n    meta:\n        case = "${found.reference}"\n    strings:\n        $a = "HOSTILE-CASE"\n    condition:\n        $a\n}`,
    );
    await page.getByText(NO_PROBLEMS).waitFor({ timeout: 20_000 });
    expect((await new ApiClient(web.env.url).get('/health/live')).status).toBe(200);
  }, 180_000);

  it('replaces the rule that matched a false positive, and shows the replacement as a diff of that rule', async () => {
    const quoted = Buffer.concat([EICAR, Buffer.from(' quoted in the test handbook, page 12')]);
    const found = await submitted('false_positive', quoted);
    const author = await analyst('Marta Gil');
    await claimAndConfirm(author.api, found.id);
    const page = author.page;
    await page.goto(`/review/${found.id}/change`);
    await pageHeading(page, `Signature change for ${found.reference}`);
    await page.getByRole('radio', { name: 'Replace the rule that matched with a narrower one' }).check();
    await page.getByText('Matched at intake: EICAR_Test_File').waitFor();
    const editor = page.getByTestId('rule-editor');
    await editor.getByText(`case = "${found.reference}"`).waitFor();
    expect(await editor.locator('.cm-content').textContent()).toContain('rule EICAR_Test_File');
    await page.getByText(NO_PROBLEMS).waitFor({ timeout: 20_000 });
    await page.getByRole('textbox', { name: 'Reason (optional)' }).fill('The handbook quotes the test string.');
    await page.getByRole('button', { name: 'Submit for validation' }).click();
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    await pageHeading(page, 'Signature change EICAR_Test_File');

    const diff = page.getByTestId('rule-diff');
    await diff.waitFor();
    expect(await diff.locator('[data-kind="added"]').allTextContents()).toEqual([
      expect.stringContaining(`case = "${found.reference}"`),
    ]);
    expect(await diff.locator('[data-kind="removed"]').allTextContents()).toEqual([
      expect.stringContaining('case = "baseline"'),
    ]);
    await page.getByTestId('report-verdict').waitFor({ timeout: 60_000 });
    await saveScreenshot(page, 'console-change-replacement');
    await noSeriousViolationsInBothThemes(page);

    const change = (await author.api.get(page.url().replace(/.*\/changes\//, '/v1/signature-changes/'))).body;
    expect(change).toMatchObject({
      type: 'suppress_detection',
      targetRule: 'EICAR_Test_File',
      sha256: null,
      reason: 'The handbook quotes the test string.',
    });
  }, 180_000);
});
