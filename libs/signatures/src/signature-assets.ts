import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The folder of this library's shipped files, from the sources or from the compiled build. */
function assetsRoot(): string {
  const candidates = [join(__dirname, '..'), join(__dirname, '../../../../libs/signatures')];
  const found = candidates.find((dir) => existsSync(join(dir, 'rules', 'base')));
  if (!found) throw new Error(`the base ruleset is missing (looked in ${candidates.join(', ')})`);
  return found;
}

/** The base ruleset shipped with the repository: one rule per `.yar` file, named like its file. */
export async function baseRules(): Promise<Array<{ name: string; source: string; tags: string[] }>> {
  const dir = join(assetsRoot(), 'rules', 'base');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yar')).sort();
  return Promise.all(
    files.map(async (file) => {
      const source = await readFile(join(dir, file), 'utf8');
      const header = /rule\s+([A-Za-z_]\w*)\s*(?::\s*([\w\s]+?))?\s*\{/.exec(source);
      if (!header || header[1] !== file.replace(/\.yar$/, '')) {
        throw new Error(`${file} must declare one rule named like the file`);
      }
      return { name: header[1], source, tags: header[2]?.trim().split(/\s+/) ?? [] };
    }),
  );
}

/** The default clean corpus shipped with the repository. */
export async function defaultCorpus(): Promise<Array<{ name: string; path: string }>> {
  const dir = join(assetsRoot(), 'corpus');
  return (await readdir(dir)).sort().map((name) => ({ name, path: join(dir, name) }));
}
