import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);

export const REPOSITORY_ROOT = resolve(__dirname, '../../..');
/** Where `npm run build` puts the web app, and where the browser tests build it when it is missing or stale. */
export const WEB_APP_BUILD = join(REPOSITORY_ROOT, 'dist', 'web');
const WEB_APP_SOURCE = join(REPOSITORY_ROOT, 'apps', 'web');
/** What the build was made from; a build made by `npm run build` has none, so the tests build once again. */
const STAMP = join(WEB_APP_BUILD, '.inputs-sha256');
const LOCK = join(REPOSITORY_ROOT, 'dist', '.web-build.lock');

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)]))
    .sort();
}

/** A hash of everything the build reads: the web app's files and the locked dependencies. */
function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of [...files(WEB_APP_SOURCE), join(REPOSITORY_ROOT, 'package-lock.json')]) {
    hash.update(relative(REPOSITORY_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function isFresh(hash: string): boolean {
  try {
    return existsSync(join(WEB_APP_BUILD, 'index.html')) && readFileSync(STAMP, 'utf8') === hash;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One builder at a time among the test processes (jest's workers): a folder made atomically, with its owner. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(join(REPOSITORY_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => ''));
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      // a builder that died leaves its lock behind
      if ((owner && !alive(owner)) || (!owner && age > 10_000)) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the web app's build lock ${LOCK} was held for 5 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/**
 * The built web app, for the browser tests: built here (Vite, about 15 s) when dist/web is missing or was built
 * from other sources, once for all of jest's workers.
 */
export async function ensureWebAppBuilt(): Promise<string> {
  const hash = inputsHash();
  if (isFresh(hash)) return WEB_APP_BUILD;
  await withBuildLock(async () => {
    if (isFresh(hash)) return;
    const vite = join(REPOSITORY_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    try {
      await run(
        process.execPath,
        [vite, 'build', '--config', join(WEB_APP_SOURCE, 'vite.config.mts'), '--logLevel', 'warn'],
        // jest sets NODE_ENV=test, which would build React's development files: the tests load what people load
        { cwd: REPOSITORY_ROOT, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_ENV: 'production' } },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`building the web app failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
    await writeFile(STAMP, hash);
  });
  return WEB_APP_BUILD;
}

/** The portal's budget for the JavaScript of a first visit, gzipped (issue 12): 250 KB. */
export const INITIAL_JAVASCRIPT_BUDGET_BYTES = 250_000;

export interface InitialJavaScript {
  /** Each script index.html loads before the first page shows: the entry and the modules it preloads. */
  files: Array<{ path: string; bytes: number; gzipBytes: number }>;
  bytes: number;
  gzipBytes: number;
}

/** What a first visit downloads of JavaScript, gzipped as a server or a CDN sends it. */
export function initialJavaScript(buildDir: string = WEB_APP_BUILD): InitialJavaScript {
  const html = readFileSync(join(buildDir, 'index.html'), 'utf8');
  const paths = new Set<string>();
  for (const match of html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)) paths.add(match[1]);
  for (const match of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+\.js)"/g)) paths.add(match[1]);
  const filesLoaded = [...paths].map((path) => {
    const content = readFileSync(join(buildDir, path.replace(/^\//, '')));
    return { path, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  return {
    files: filesLoaded,
    bytes: filesLoaded.reduce((sum, file) => sum + file.bytes, 0),
    gzipBytes: filesLoaded.reduce((sum, file) => sum + file.gzipBytes, 0),
  };
}
