import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureWebAppBuilt, INITIAL_JAVASCRIPT_BUDGET_BYTES, initialJavaScript } from '@sigdesk/testing';

describe('the built web app', () => {
  let built: string;
  let indexHtml: string;

  beforeAll(async () => {
    built = await ensureWebAppBuilt();
    indexHtml = await readFile(join(built, 'index.html'), 'utf8');
  }, 300_000);

  it('loads at most 250 KB of JavaScript, gzipped, before the first page shows', () => {
    const initial = initialJavaScript(built);
    expect(initial.files.length).toBeGreaterThan(0);
    expect(initial.files.every((file) => file.path.startsWith('/assets/'))).toBe(true);
    expect(initial.gzipBytes).toBeLessThanOrEqual(INITIAL_JAVASCRIPT_BUDGET_BYTES);
  });

  it('keeps each page in a file of its own, loaded when the page is first opened', async () => {
    const initial = new Set(initialJavaScript(built).files.map((file) => file.path));
    for (const page of ['SignInPage', 'NotFoundPage', 'SignedInLayout', 'SubmitPage', 'CasesPage', 'SettingsPage']) {
      const entry = /<script type="module" crossorigin src="\/assets\/([^"]+)"/.exec(indexHtml)![1];
      const script = await readFile(join(built, 'assets', entry), 'utf8');
      const chunk = new RegExp(`${page}-[\\w-]+\\.js`).exec(script)?.[0];
      expect({ page, chunk: Boolean(chunk) }).toEqual({ page, chunk: true });
      expect(initial.has(`/assets/${chunk}`)).toBe(false);
    }
  });

  it("loads CodeMirror only with the rule editor, in that page's own file", async () => {
    const assets = await readdir(join(built, 'assets'));
    const withEditor: string[] = [];
    for (const file of assets.filter((name) => name.endsWith('.js'))) {
      // the editor's own class names, which no other code writes
      if ((await readFile(join(built, 'assets', file), 'utf8')).includes('cm-lintRange')) withEditor.push(file);
    }
    expect(withEditor).toEqual([expect.stringMatching(/^RuleEditorPage-[\w-]+\.js$/)]);
    const initial = initialJavaScript(built).files.map((file) => file.path);
    expect(initial.some((path) => path.includes('RuleEditorPage'))).toBe(false);
  });

  it('has no inline script, so that it runs under a content security policy without unsafe-inline', () => {
    const scripts = [...indexHtml.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/assets\//);
      expect(body.trim()).toBe('');
    }
    expect(indexHtml).not.toMatch(/\son[a-z]+=/i); // no inline event handlers either
  });
});
