import { pageHeading, saveScreenshot, seedCustomer, seriousAccessibilityViolations } from '@sigdesk/testing';
import type { Page } from 'playwright-core';
import { standInForSessions } from './support/sessions';
import { browserSuite } from './support/suite';

/** Waits for the page's transitions (a dialog fading in) to end: contrast is judged on what stays on screen. */
async function animationsDone(page: Page): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if ((await page.evaluate('document.getAnimations().length')) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the page is still animating after 5 s');
}

describe("Settings, API keys: an organisation's admin makes, uses and revokes a key in a real browser", () => {
  const suite = browserSuite({ env: { SIGDESK_LIMIT_API_KEYS_PER_ORGANIZATION: '2' } });
  const { web } = suite;

  async function open(locale: string, organizationAdmin: boolean) {
    const current = await suite.open({ locale, height: 1100 });
    const customer = await seedCustomer(web.env, { name: 'Acme Logistics' });
    const sessions = await standInForSessions(current.context, true, {
      organizationId: customer.organizationId,
      organizationAdmin,
      displayName: 'Lucía Navarro',
    });
    return { page: current.page, context: current.context, sessions, customer };
  }

  it('creates a key shown once with a copy button, the key works (200); revoked after confirmation, it is refused (401)', async () => {
    const { page, context } = await open('en-GB', true);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto('/settings');
    await pageHeading(page, 'Settings');
    const section = page.getByRole('region', { name: 'API keys' });
    // the key made with the organisation (by sigdesk's admin) is listed already
    const table = section.getByRole('table', { name: "Your organisation's API keys" });
    await table
      .getByRole('row', { name: /portal/ })
      .getByText('by sigdesk')
      .waitFor();

    // a name is asked for before anything is sent
    await section.getByRole('button', { name: 'Create key' }).click();
    await section.getByText('Give the key a name.').waitFor();
    await section.getByRole('textbox', { name: 'Name' }).fill('SIEM integration');
    await section.getByRole('button', { name: 'Create key' }).click();

    const dialog = page.getByRole('dialog', { name: 'Copy your new API key' });
    await dialog.getByText('you will not see it again', { exact: false }).waitFor();
    const key = (await dialog.getByTestId('api-key-value').textContent())!;
    expect(key).toMatch(/^sdk_cus_[A-Za-z0-9_-]{43}$/);
    await dialog.getByRole('button', { name: 'Copy key' }).click();
    await dialog.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
    await animationsDone(page);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-settings-api-key-created');

    // the key works, as a script would use it
    const used = await fetch(`${web.env.url}/v1/submissions`, { headers: { authorization: `Bearer ${key}` } });
    expect(used.status).toBe(200);

    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = table.getByRole('row', { name: /SIEM integration/ });
    await row.getByText('by Lucía Navarro').waitFor();
    await row.getByText('Active').waitFor();
    // the key is shown nowhere once the dialog is closed
    await page.reload();
    await pageHeading(page, 'Settings');
    await table.getByRole('row', { name: /SIEM integration/ }).waitFor();
    expect(await page.getByText(key).count()).toBe(0);
    // its last use is listed
    await table
      .getByRole('row', { name: /SIEM integration/ })
      .getByText('Never')
      .waitFor({ state: 'detached' });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-settings-api-keys');

    // revoking asks first; keeping it changes nothing
    await table.getByRole('button', { name: 'Revoke the key SIEM integration' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke this API key?' });
    await confirm.getByText('Scripts using the key "SIEM integration" will be refused', { exact: false }).waitFor();
    await animationsDone(page);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect((await fetch(`${web.env.url}/v1/submissions`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );

    await table.getByRole('button', { name: 'Revoke the key SIEM integration' }).click();
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'hidden' });
    const revokedRow = table.getByRole('row', { name: /SIEM integration/ });
    await revokedRow.getByText('Revoked', { exact: true }).waitFor();
    await revokedRow.getByText('by Lucía Navarro', { exact: false }).first().waitFor();
    expect(await revokedRow.getByRole('button').count()).toBe(0);

    const refused = await fetch(`${web.env.url}/v1/submissions`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('unauthorized');
  });

  it('says in Spanish when the organisation has all the keys it may have', async () => {
    const { page } = await open('es-ES', true);
    await page.goto('/settings');
    await pageHeading(page, 'Configuración');
    const section = page.getByRole('region', { name: 'Claves de API' });
    // the organisation's own key and one more: the limit of 2
    await section.getByRole('textbox', { name: 'Nombre' }).fill('Exportación nocturna');
    await section.getByRole('button', { name: 'Crear clave' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copie su nueva clave de API' });
    await dialog.getByText('no podrá volver a verla', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Ya la he copiado' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await section.getByRole('textbox', { name: 'Nombre' }).fill('Una más');
    await section.getByRole('button', { name: 'Crear clave' }).click();
    await section
      .getByRole('alert')
      .getByText('Su organización ya tiene 2 claves de API en uso. Revoque una antes de crear otra.')
      .waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'customer-settings-api-keys-es');
  });

  it("tells a customer who is not an admin that the organisation's admins manage the keys", async () => {
    const { page, context } = await open('en-GB', false);
    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api-keys')) asked.push(request.url());
    });
    await page.goto('/settings');
    await pageHeading(page, 'Settings');
    const section = page.getByRole('region', { name: 'API keys' });
    await section
      .getByText("Your organisation's administrators make and revoke its API keys.", { exact: false })
      .waitFor();
    expect(await section.getByRole('button').count()).toBe(0);
    expect(asked).toEqual([]);
    // and the API agrees: the session is refused
    const listed = await context.request.get('/v1/organizations/current/api-keys', { failOnStatusCode: false });
    expect(listed.status()).toBe(403);
  });
});
