import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { catalogs, createI18n, LANGUAGES } from './index';
import { addPageCatalog, pageCatalogs } from './page-catalogs';

const SOURCE = join(__dirname, '..');

/** Every file of the web app's code, the tests aside. */
function sourceFiles(folder = SOURCE): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `a.b.c` for every string of a catalog. */
function flatten(catalog: object, prefix = ''): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [name, value] of Object.entries(catalog)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (typeof value === 'string') keys.set(key, value);
    else for (const [inner, text] of flatten(value as object, key)) keys.set(inner, text);
  }
  return keys;
}

/** The keys that the code names: `t('…')`, `translationKey('…')`, `i18nKey="…"`. */
function usedKeys(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const call = /\b(?:t|translationKey)\(\s*(['"`])([^'"`]+)\1/g;
  const attribute = /\bi18nKey=(['"])([^'"]+)\1/g;
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of [call, attribute]) {
      for (const match of text.matchAll(pattern)) {
        used.set(match[2], [...(used.get(match[2]) ?? []), relative(SOURCE, file)]);
      }
    }
  }
  return used;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]).sort();
}

describe('translation catalogs', () => {
  // the first page's catalog and the pages' own, which load with their page
  const flat = Object.fromEntries(
    LANGUAGES.map((language) => [
      language,
      new Map(
        [catalogs[language], ...pageCatalogs.map((catalog) => catalog[language])].flatMap((catalog) => [
          ...flatten(catalog),
        ]),
      ),
    ]),
  );
  const used = usedKeys();

  it('finds the keys the code uses', () => {
    // the extraction itself works: keys of the sign-in page, the navigation and the error table are found
    expect(used.get('signIn.title')).toEqual(['pages/SignInPage.tsx']);
    expect(used.has('nav.cases')).toBe(true);
    expect(used.has('errors.rateLimited')).toBe(true);
    expect(used.size).toBeGreaterThan(40);
  });

  it('has every key the code uses, in every language', () => {
    for (const language of LANGUAGES) {
      const missing = [...used.keys()].filter((key) => !flat[language].has(key));
      expect({ language, missing }).toEqual({ language, missing: [] });
    }
  });

  it('has the same keys in English and Spanish, none of them empty', () => {
    expect([...flat.es.keys()].sort()).toEqual([...flat.en.keys()].sort());
    for (const language of LANGUAGES) {
      const empty = [...flat[language]].filter(([, text]) => !text.trim()).map(([key]) => key);
      expect({ language, empty }).toEqual({ language, empty: [] });
    }
  });

  it('gives each translation the same placeholders as the English text', () => {
    const differing = [...flat.en]
      .filter(([key, text]) => placeholders(text).join() !== placeholders(flat.es.get(key) ?? '').join())
      .map(([key]) => key);
    expect(differing).toEqual([]);
  });

  it('keeps no key that the code no longer uses', () => {
    expect([...flat.en.keys()].filter((key) => !used.has(key))).toEqual([]);
  });

  it('names keys literally, so that this test sees them all', () => {
    // t(`errors.${code}`) would hide its keys from the checks above: a table of translationKey() is the way
    const dynamic = sourceFiles().flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*`[^`]*\$\{/g)].map(() => relative(SOURCE, file)),
    );
    expect(dynamic).toEqual([]);
  });

  it.each(LANGUAGES)('translates every key the code uses in %s without falling back', (language) => {
    const i18n = createI18n({
      language,
      fallback: false,
      onMissingKey: (lng, key) => {
        throw new Error(`missing translation: ${lng} ${key}`);
      },
    });
    for (const catalog of pageCatalogs) addPageCatalog(i18n, catalog);
    for (const key of used.keys()) {
      expect(typeof i18n.t(key as never)).toBe('string');
    }
    // and the handler does fire on a key that is not there
    expect(() => i18n.t('signIn.noSuchKey' as never)).toThrow(`missing translation: ${language} signIn.noSuchKey`);
  });
});
