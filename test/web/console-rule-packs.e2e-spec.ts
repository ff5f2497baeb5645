import { randomBytes, randomUUID } from 'node:crypto';
import { BlobWriter, TextReader, ZipWriter } from '@zip.js/zip.js';
import type { Page } from 'playwright-core';
import { DatabaseBuilder } from '@sigdesk/builds';
import {
  ApiClient,
  eventually,
  pageHeading,
  saveScreenshot,
  seedKey,
  seedRelease,
  seriousAccessibilityViolations,
} from '@sigdesk/testing';
import { browserSuite, noSeriousViolationsInBothThemes, staffPage } from './support/suite';

/** Picks `file` in the file chooser that the form's field (a button, as Mantine's FileInput is) opens. */
async function chooseFile(page: Page, label: string, file: { name: string; buffer: Buffer }): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByLabel(label).click()]);
  await chooser.setFiles({ ...file, mimeType: 'application/zip' });
}

/** A ZIP of the given files, as a lab would upload its pack. */
async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const writer = new ZipWriter(new BlobWriter('application/zip'));
  for (const [path, text] of Object.entries(files)) await writer.add(path, new TextReader(text));
  return Buffer.from(await (await writer.close()).arrayBuffer());
}

describe('rule pack imports in the console: an admin uploads a pack, reads its report and accepts it', () => {
  const { web, open } = browserSuite({ worker: true });
  const cleanMarker = `VENDOR-TOOL-${randomBytes(4).toString('hex')}`;
  // a lab's folders go deep: the namespace of this file is longer than its column
  const deepFile =
    'acme-rules/third-party/vendor-contributed-signatures-2026/windows/persistence/scheduled-tasks-and-services.yar';

  beforeAll(async () => {
    await seedRelease(web.env, 1);
    // the clean corpus holds a vendor's tool that one rule of the pack matches
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(`a clean vendor tool ${cleanMarker}`)]), 'vendor-tool.txt');
    expect((await new ApiClient(web.env.url, web.env.adminKey).upload('/v1/admin/clean-corpus', form)).status).toBe(
      201,
    );
  });

  async function admin(locale = 'en-GB') {
    return staffPage(open, { role: 'admin', displayName: 'Elena Martín' }, { locale, height: 1100, width: 1440 });
  }

  /** Two files that compile (one with a rule that hits the clean file), one that does not, and a README. */
  const packFiles = {
    'acme-rules/malware/droppers.yar': `
import "pe"
private rule IsPe { condition: pe.is_pe }
rule Acme_Dropper { strings: $a = "ACME-DROPPER-MARK" condition: $a and not IsPe }
`,
    'acme-rules/malware/generic.yar': `
rule Acme_Generic { strings: $a = "ACME-GENERIC-TWO" condition: $a }
rule Vendor_Tool { strings: $v = "${cleanMarker}" condition: $v }
`,
    [deepFile]: `rule Acme_Scheduled_Task { strings: $a = "ACME-TASK-MARK" condition: $a }`,
    'acme-rules/broken/unknown-module.yar': `
import "cuckoo_sandbox"
rule Acme_Broken { condition: true }
`,
    'acme-rules/README.md': '# not rules',
  };

  it('uploads a ZIP pack, follows its analysis, reads the report and accepts it without its flagged rule', async () => {
    const { page, api } = await admin();
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Rule packs' }).click();
    await pageHeading(page, 'Rule packs');
    await page.getByText('No pack imported yet.', { exact: false }).waitFor();

    await chooseFile(page, 'Rule pack', { name: 'acme-rules.zip', buffer: await zipOf(packFiles) });
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    await page.getByText('acme-rules: 4 rule file(s) read; the analysis has started.').waitFor();

    // the list follows the analysis without reloading: analysing, then what it found
    const row = page.getByRole('row').filter({ hasText: 'acme-rules.zip' });
    await row.getByText('Analysed', { exact: true }).waitFor({ timeout: 60_000 });
    await row.getByText('3 of 4 file(s) compile · 5 rule(s) · 1 flagged').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-rule-packs');

    await row.getByRole('link', { name: 'acme-rules', exact: true }).click();
    await pageHeading(page, 'acme-rules');
    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.getByText('3 of 4', { exact: true }).waitFor();
    // one clean file hit: the vendor's tool, of the clean corpus the release seeded and that file
    await summary.getByText(/^1 of \d+$/).waitFor();
    const files = page.getByRole('region', { name: 'Files' });
    const broken = files.getByRole('row').filter({ hasText: 'acme-rules/broken/unknown-module.yar' });
    await broken.getByText('Does not compile').waitFor();
    expect(await broken.textContent()).toMatch(/line 2: .*cuckoo_sandbox/);
    const deep = files.getByRole('row').filter({ hasText: deepFile });
    await deep.getByText('Compiles').waitFor();
    await deep.getByText(`namespace ${deepFile.replace(/\.yar$/, '')}`).waitFor();

    // a file's rules: the one that matched the clean file is flagged, with the file it matched
    await files.getByRole('button', { name: 'Show the rules of acme-rules/malware/generic.yar (2)' }).click();
    const rules = files.getByRole('table', { name: 'Rules of acme-rules/malware/generic.yar' });
    const vendorTool = rules.getByRole('row').filter({ hasText: 'Vendor_Tool' });
    await vendorTool.getByText('Hits clean files').waitFor();
    await vendorTool.getByText('vendor-tool.txt').waitFor();
    expect(await rules.getByRole('row').filter({ hasText: 'Acme_Generic' }).getByText('Hits clean files').count()).toBe(
      0,
    );
    await files.getByRole('button', { name: 'Show the rules of acme-rules/malware/droppers.yar (2)' }).click();
    await files
      .getByRole('table', { name: 'Rules of acme-rules/malware/droppers.yar' })
      .getByRole('row')
      .filter({ hasText: 'IsPe' })
      .getByText('private helper')
      .waitFor();
    const skipped = page.getByRole('region', { name: 'Skipped entries' });
    await skipped.getByRole('row').filter({ hasText: 'acme-rules/README.md' }).waitFor();
    // nothing of the report is wider than the page: long paths and namespaces wrap in their columns
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await saveScreenshot(page, 'console-rule-pack-report');
    await noSeriousViolationsInBothThemes(page);

    // the confirmation says what accepting does, and names the rule it leaves out as a detection
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.getByRole('button', { name: 'Accept all but flagged rules' }).click();
    const dialog = page.getByRole('dialog', { name: 'Accept all but the flagged rules of acme-rules?' });
    await dialog
      .getByText('The 3 file(s) that compile, with 4 rule(s), become one signature change on channel default.')
      .waitFor();
    await dialog.getByText('Left out, as they do not compile: 1 file(s).').waitFor();
    await dialog.getByText('acme-rules/malware/generic:Vendor_Tool').waitFor();
    await dialog.getByText('an analyst other than you', { exact: false }).first().waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-rule-pack-accept');
    await dialog.getByRole('button', { name: 'Accept and validate' }).click();

    // the change's page: one import_rules change of the pack, validated and then waiting for an analyst
    await page.waitForURL(/\/changes\/[0-9a-f-]{36}$/);
    const changeId = page.url().split('/').pop()!;
    await pageHeading(page, 'Signature change acme-rules');
    const change = await api.get(`/v1/signature-changes/${changeId}`);
    expect(change.body).toMatchObject({ type: 'import_rules', rulePack: { packName: 'acme-rules' } });
    await page.getByTestId('report-verdict').getByText('Every check passed').waitFor({ timeout: 60_000 });
    await saveScreenshot(page, 'console-rule-pack-change');
    await page.getByRole('link', { name: 'The import of acme-rules and its quality report' }).click();
    await pageHeading(page, 'acme-rules');
    await page.getByRole('link', { name: `Open signature change ${changeId.slice(0, 8)}` }).waitFor();
    // accepted once: no more accepting
    expect(await page.getByRole('button', { name: 'Accept all rules' }).count()).toBe(0);
    const accepted = await eventually(
      () => api.get('/v1/admin/rulesets/imports'),
      (res) => res.body.items[0]?.status === 'accepted',
      10_000,
    );
    expect(accepted.body.items[0]).toMatchObject({ packName: 'acme-rules', changeId });
  });

  it('says, before a new version of the pack is accepted, which files of the built one accepting takes out', async () => {
    // the pack accepted above, approved by an analyst and built
    const { page, api } = await admin();
    const first = (await api.get('/v1/admin/rulesets/imports')).body.items.find(
      (i: any) => i.packName === 'acme-rules' && i.changeId,
    );
    await eventually(
      () => api.get(`/v1/signature-changes/${first.changeId}`),
      (res) => res.body.status === 'validated',
      60_000,
    );
    const analyst = await seedKey(web.env, 'analyst');
    expect((await analyst.post(`/v1/signature-changes/${first.changeId}/approve`, {})).status).toBe(200);
    const built = await web.env.sigdesk.app.get(DatabaseBuilder).build('default', 'scheduled');
    expect(built.status).toBe('stored');

    // version 2.0, as the lab downloads it: generic.yar now fails to compile, the deep file is gone
    const secondVersion = {
      'acme-rules-2.0/malware/droppers.yar': packFiles['acme-rules/malware/droppers.yar'],
      'acme-rules-2.0/malware/generic.yar': 'import "cuckoo_sandbox"\nrule Acme_Generic { condition: true }\n',
    };
    await page.goto('/rule-packs');
    await pageHeading(page, 'Rule packs');
    await chooseFile(page, 'Rule pack', { name: 'acme-rules-2.0.zip', buffer: await zipOf(secondVersion) });
    await page.getByLabel('Pack name').fill('acme-rules');
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    await page.getByText('acme-rules: 2 rule file(s) read; the analysis has started.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'acme-rules-2.0.zip' });
    await row.getByText('Analysed', { exact: true }).waitFor({ timeout: 60_000 });
    await row.getByRole('link', { name: 'acme-rules', exact: true }).click();
    await pageHeading(page, 'acme-rules');

    const notice = page.getByRole('alert').filter({ hasText: 'Replaces acme-rules on channel default' });
    await notice
      .getByText(`Version ${built.version} of the channel holds 3 file(s) of a pack of this name.`, { exact: false })
      .waitFor();
    await notice.getByText('Taken out of the database by accepting it: 2 file(s).').waitFor();
    expect(await notice.getByRole('listitem').allTextContents()).toEqual([
      'acme-rules/malware/generic.yar — does not compile in this import',
      `${deepFile} — not in this import`,
    ]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-rule-pack-replaces');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.getByRole('button', { name: 'Accept all rules' }).click();
    await page
      .getByRole('dialog', { name: 'Accept all rules of acme-rules?' })
      .getByText(`It replaces the 3 file(s) of acme-rules in version ${built.version}, taking out 2 of them.`)
      .waitFor();
  });

  it("follows a running analysis's stage and files done, on the list and the import's page, without reloading", async () => {
    // an import that has not been analysed yet: the worker's reconciler picks it up in its own time, so the API's
    // answers about it are shown to the page at the stage the test sets, as a long analysis would report it
    const running = await web.env.db
      .insertInto('rule_pack_imports')
      .values({
        channel: 'default',
        pack_name: 'signature-base',
        file_name: 'signature-base-master.tar.gz',
        format: 'tar.gz',
        bytes: 4_200_000,
        sha256: 'a'.repeat(64),
        skipped: JSON.stringify([]),
        status: 'analysing',
        created_by: randomUUID(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await web.env.db
      .insertInto('rule_pack_files')
      .values({
        import_id: running.id,
        position: 0,
        path: 'signature-base/yara/apt_acme.yar',
        namespace: 'signature-base/yara/apt_acme',
        source: 'rule Apt_Acme { condition: false }',
      })
      .execute();
    let progress: Record<string, unknown> = { stage: 'profiling', files: 400, done: 100 };
    const { page } = await admin();
    await page.route(
      (url) => url.pathname.startsWith('/v1/admin/rulesets/imports'),
      async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        const asRunning = (found: any) => {
          if (found?.id !== running.id) return found;
          const files = Array.isArray(found.files)
            ? found.files.map(({ path, namespace, bytes, accepted }: any) => ({ path, namespace, bytes, accepted }))
            : found.files;
          return { ...found, status: 'analysing', progress, summary: null, files };
        };
        await route.fulfill({ response, json: body.items ? { items: body.items.map(asRunning) } : asRunning(body) });
      },
    );
    await page.goto('/rule-packs');
    const row = page.getByRole('row').filter({ hasText: 'signature-base-master.tar.gz' });
    await row.getByText('Analysing', { exact: true }).waitFor();
    await row.getByText('Profiling: 100 of 400 file(s)').waitFor();
    expect(await row.getByRole('progressbar', { name: 'Analysis: Profiling: 100 of 400 file(s)' }).count()).toBe(1);
    progress = { stage: 'clean corpus', files: 1200, scanned: 900 };
    await row.getByText('Clean corpus: 900 of 1200 file(s)').waitFor({ timeout: 10_000 });

    await row.getByRole('link', { name: 'signature-base', exact: true }).click();
    await pageHeading(page, 'signature-base');
    await page.getByText('Clean corpus: 900 of 1200 file(s)').waitFor();
    const files = page.getByRole('region', { name: 'Files' });
    const pending = files.getByRole('row').filter({ hasText: 'apt_acme.yar' });
    await pending.getByText('Not analysed yet').waitFor();
    expect(await pending.getByRole('button').count()).toBe(0);
    // nothing to accept before the report
    expect(await page.getByRole('button', { name: 'Accept all rules' }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await saveScreenshot(page, 'console-rule-pack-analysing');
    progress = { stage: 'clean corpus', files: 1200, scanned: 1100 };
    await page.getByText('Clean corpus: 1100 of 1200 file(s)').waitFor({ timeout: 10_000 });
  });

  it("says why a pack is refused, in the person's language, cancels an upload, and that an import does not exist", async () => {
    const { page, api } = await admin('es-ES');
    await page.goto('/rule-packs');
    await pageHeading(page, 'Paquetes de reglas');
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/admin/rulesets/import') {
        uploads.push(request.url());
      }
    });
    // nothing chosen, a channel that is no channel: the form says so and sends nothing
    await page.getByLabel('Canal').fill('../etc');
    await page.getByRole('button', { name: 'Subir y analizar' }).click();
    await page.getByText('Elija el paquete que quiere importar.').waitFor();
    await page.getByText('Solo minúsculas, dígitos, - y _.').waitFor();
    expect(uploads).toEqual([]);

    await page.getByLabel('Canal').fill('');

    // an upload under way shows how much is sent, and can be cancelled: nothing is imported, nothing is wrong
    const before = (await api.get('/v1/admin/rulesets/imports')).body.items.length;
    let release: () => void = () => undefined;
    await page.route('**/v1/admin/rulesets/import', async (route) => {
      await new Promise<void>((resolve) => (release = resolve));
      // the page's cancel has ended the request already, normally
      await route.abort('aborted').catch(() => undefined);
    });
    await chooseFile(page, 'Paquete de reglas', { name: 'held.zip', buffer: await zipOf(packFiles) });
    await page.getByRole('button', { name: 'Subir y analizar' }).click();
    await page.getByText(/^Subiendo: .* de 1[,.]\d KiB$/).waitFor();
    await page.getByRole('progressbar', { name: 'Subida del paquete' }).waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Cancelar la subida' }).click();
    await page.getByRole('button', { name: 'Cancelar la subida' }).waitFor({ state: 'detached' });
    release();
    await page.unroute('**/v1/admin/rulesets/import');
    expect(await page.getByRole('alert').filter({ hasText: 'El paquete no se ha importado' }).count()).toBe(0);
    expect((await api.get('/v1/admin/rulesets/imports')).body.items).toHaveLength(before);

    await chooseFile(page, 'Paquete de reglas', {
      name: 'notes.zip',
      buffer: Buffer.from('these are notes, not an archive'),
    });
    await page.getByRole('button', { name: 'Subir y analizar' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'El paquete no se ha importado' });
    await refused.getByText('is named like an archive but is not a ZIP or gzip file', { exact: false }).waitFor();
    expect(uploads).toHaveLength(2);

    await page.goto('/rule-packs/00000000-0000-4000-8000-000000000000');
    await page.getByText('Esa importación no existe.').waitFor();
    await page.getByRole('link', { name: '← Todos los paquetes de reglas' }).waitFor();
  });

  it('keeps the pages for admins: an analyst has no link to them, and is taken to their queue', async () => {
    const { page } = await staffPage(open, { role: 'analyst', displayName: 'Lucía Fernández' });
    await page.goto('/rule-packs');
    await page.waitForURL((url) => url.pathname === '/queue');
    expect(
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Rule packs' }).count(),
    ).toBe(0);
  });
});
