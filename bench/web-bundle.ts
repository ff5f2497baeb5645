/**
 * The web app's first visit: the JavaScript that index.html loads before the first page shows (the entry and the
 * modules it preloads), gzipped as a server sends it, against the portal's budget of 250 KB; then each page's own
 * file, loaded when that page is first opened.
 *
 *   npm run bench:web      (node -r ./bench/register.js bench/web-bundle.ts)
 *
 * Builds dist/web first when it is missing or was built from other sources. Exit code 1 over the budget.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  ensureWebAppBuilt,
  INITIAL_JAVASCRIPT_BUDGET_BYTES,
  initialJavaScript,
} from '../libs/testing/src/web-app-build';

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

async function main(): Promise<void> {
  const built = await ensureWebAppBuilt();
  const initial = initialJavaScript(built);
  const loaded = new Set(initial.files.map((file) => file.path));

  console.log('initial JavaScript (index.html):');
  for (const file of initial.files) {
    console.log(`  ${file.path.padEnd(48)} ${kb(file.bytes).padStart(10)}  gzip ${kb(file.gzipBytes).padStart(9)}`);
  }
  console.log(
    `  ${'total'.padEnd(48)} ${kb(initial.bytes).padStart(10)}  gzip ${kb(initial.gzipBytes).padStart(9)}` +
      `  (budget ${kb(INITIAL_JAVASCRIPT_BUDGET_BYTES)})`,
  );

  console.log('loaded later, when a page needs them:');
  const assets = join(built, 'assets');
  for (const name of readdirSync(assets).filter((file) => file.endsWith('.js') && !loaded.has(`/assets/${file}`))) {
    const content = readFileSync(join(assets, name));
    console.log(`  /assets/${name}`.padEnd(50) + ` gzip ${kb(gzipSync(content, { level: 9 }).length).padStart(9)}`);
  }

  if (initial.gzipBytes > INITIAL_JAVASCRIPT_BUDGET_BYTES) {
    console.error(`over budget by ${kb(initial.gzipBytes - INITIAL_JAVASCRIPT_BUDGET_BYTES)}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
