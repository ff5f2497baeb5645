import {
  ApiClient,
  eventually,
  pageHeading,
  saveScreenshot,
  seedCustomer,
  seedKey,
  seedRelease,
  SeededCustomer,
  seriousAccessibilityViolations,
  validatedChange,
} from '@sigdesk/testing';
import { browserSuite, staffPage } from './support/suite';

describe("the console's builds in a real browser: the list, a build's proof and publishing it", () => {
  const suite = browserSuite({ worker: true, env: { SIGDESK_EXPEDITED_WINDOW_SECONDS: '1' } });
  const { web } = suite;
  let msa: SeededCustomer;
  let author: ApiClient;
  let reviewer: ApiClient;

  beforeAll(async () => {
    await seedRelease(web.env, 1);
    msa = await seedCustomer(web.env, { tier: 'msa_start', roundTheClock: true });
    author = await seedKey(web.env, 'analyst');
    reviewer = await seedKey(web.env, 'analyst');
  });

  async function open(role: 'release' | 'admin' = 'release', locale = 'en-GB') {
    const displayName = role === 'release' ? 'Jorge Navarro' : 'Elena Martín';
    return (await staffPage(suite.open, { role, displayName }, { locale, height: 1000 })).page;
  }

  /** An approved MSA Start change, and the expedited build that holds it once stored. */
  async function storedBuild(ruleName: string) {
    const change = await validatedChange(web.env, msa, author, ruleName);
    expect((await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {})).status).toBe(200);
    const release = new ApiClient(web.env.url, (await seedKey(web.env, 'release')).key);
    const built = await eventually(
      () => release.get('/v1/database-builds'),
      (res) => res.body.items.some((b: any) => b.changes.includes(change.changeId) && b.status !== 'building'),
      60_000,
    );
    const build = built.body.items.find((b: any) => b.changes.includes(change.changeId));
    expect(build.status).toBe('stored');
    const { reference } = (await msa.client.get(`/v1/submissions/${change.caseId}`)).body;
    return { ...change, version: build.version as number, reference: reference as string };
  }

  it('a release engineer sees the build with its gates, opens its proof and delta, and publishes it: the case is fixed', async () => {
    const built = await storedBuild('Trojan_Console_Build');
    const page = await open('release');
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/builds');
    await pageHeading(page, 'Builds');
    const row = page.getByRole('row').filter({ hasText: `Build ${built.version}` });
    await row.getByText('Stored').waitFor();
    await row.getByText('Expedited').waitFor();
    await row.getByText(built.reference).waitFor();
    await row.getByRole('img', { name: 'Clean corpus: passed' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-builds');

    await row.getByRole('link', { name: `Build ${built.version}` }).click();
    await pageHeading(page, `Build ${built.version}`);
    const proof = page.getByRole('region', { name: 'Proof' });
    await proof.getByRole('heading', { name: 'Fixes the case' }).waitFor();
    const delta = page.getByRole('region', { name: 'What it changes' });
    await delta.getByText('Rules added: 1').waitFor();
    await delta.getByText('Trojan_Console_Build').waitFor();
    const manifest = page.getByRole('region', { name: 'Manifest and downloads' });
    await manifest.getByRole('link', { name: 'Download rules.yar', exact: true }).waitFor();
    // the same rules compiled, listed and signed in the manifest beside their source
    await manifest.getByRole('link', { name: 'Download rules.yarc', exact: true }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // the confirmation names the version, the channel and the case it closes (shown without its opening
    // transition, so that axe reads its final colours)
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Publish build ${built.version} on default?` });
    await dialog.getByText(built.reference).waitFor();
    await dialog.getByText('These 1 cases become fixed', { exact: false }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-build-publish');
    await dialog.getByRole('button', { name: `Publish build ${built.version}` }).click();
    await page.getByText(`Build ${built.version} is published; 1 cases fixed.`).waitFor();
    // the page reads the build again: published, and nothing more to publish
    await page.getByRole('button', { name: 'Publish', exact: true }).waitFor({ state: 'detached' });
    await page.getByText('Published', { exact: true }).first().waitFor();
    const fixed = await msa.client.get(`/v1/submissions/${built.caseId}`);
    expect(fixed.body).toMatchObject({ status: 'fixed', fixedInDatabaseVersion: built.version });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('html[data-mantine-color-scheme="dark"]').waitFor({ state: 'attached' });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-build-dark');
  });

  it('shows which change broke which gate of a failed build', async () => {
    const change = await validatedChange(web.env, msa, author, 'Trojan_Console_Broken');
    // the clean corpus learns of a file the new rule matches before the build runs
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`vendor tool ${change.marker}`)]), 'vendor-tool.bin');
    expect((await new ApiClient(web.env.url, web.env.adminKey).upload('/v1/admin/clean-corpus', form)).status).toBe(
      201,
    );
    expect((await reviewer.post(`/v1/signature-changes/${change.changeId}/approve`, {})).status).toBe(200);
    const release = new ApiClient(web.env.url, (await seedKey(web.env, 'release')).key);
    const failed = await eventually(
      () => release.get('/v1/database-builds'),
      (res) => res.body.items.some((b: any) => b.changes.includes(change.changeId) && b.status === 'failed'),
      60_000,
    );
    const build = failed.body.items.find((b: any) => b.changes.includes(change.changeId));

    const page = await open('admin');
    await page.goto('/builds');
    const row = page.getByRole('row').filter({ hasText: `Build ${build.version}` });
    await row.getByText('failed the Clean corpus gate').waitFor();
    await row.getByRole('img', { name: 'Clean corpus: failed' }).waitFor();
    await row.getByRole('link', { name: `Build ${build.version}` }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The build failed the Clean corpus gate' });
    await alert.waitFor();
    await alert.getByRole('link', { name: change.changeId.slice(0, 8) }).waitFor();
    const proof = page.getByRole('region', { name: 'Proof' });
    await proof.getByTestId('check-clean_corpus').getByRole('cell', { name: 'vendor-tool.bin' }).waitFor();
    await proof.getByText('Trojan_Console_Broken').first().waitFor();
    // an admin reads builds but does not publish: no button
    expect(await page.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-build-failed');
    // the clean corpus stays clean for the other tests
    await web.env.db.deleteFrom('clean_corpus_files').where('name', '=', 'vendor-tool.bin').execute();
  });

  it("follows a running build's stage and files scanned live, without reloading", async () => {
    const page = await open('release', 'es-ES');
    const { version } = await web.env.db
      .selectFrom('database_builds')
      .select((eb) => eb.fn.max('version').as('version'))
      .executeTakeFirstOrThrow();
    const running = Number(version) + 100;
    await web.env.db
      .insertInto('database_builds')
      .values({
        channel: 'live-test',
        version: running,
        parent_version: null,
        kind: 'expedited',
        status: 'building',
        change_ids: [],
        stage: 'clean corpus',
        progress: JSON.stringify({ stage: 'clean corpus', files: 400, scanned: 100 }),
      })
      .execute();
    await page.goto('/builds?channel=live-test');
    await pageHeading(page, 'Compilaciones');
    await page.getByText('Analizando el corpus limpio: 100 de 400 archivos').waitFor();
    await web.env.db
      .updateTable('database_builds')
      .set({ stage: 'regression', progress: JSON.stringify({ stage: 'regression', files: 50, scanned: 20 }) })
      .where('channel', '=', 'live-test')
      .execute();
    await page.getByText('Analizando la colección de regresión: 20 de 50 archivos').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });
});
