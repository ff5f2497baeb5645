import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web app: built into dist/web (`npm run build`), which the API serves at `/` (libs/api/src/web-app.ts);
 * `npm run dev:web` serves it from source on http://127.0.0.1:5173 and passes the API's paths to `npm start`'s API.
 */
export default defineConfig({
  root: here,
  base: '/',
  // no React Fast Refresh: the dev server reloads the page on a change (Vite's own JSX transform, no Babel)
  oxc: { jsx: { runtime: 'automatic' } },
  // the SHA-256 worker is a module of its own, loaded at the first file a person adds
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // the sources are not published with the app
    sourcemap: false,
    // one file per lazy route; Vite's preload helper is a module of its own, never an inline script
    modulePreload: { polyfill: false },
    rolldownOptions: {
      onwarn(warning, warn) {
        // Mantine marks its modules "use client" for React Server Components, which a client bundle ignores
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(
      ['/v1', '/health', '/docs', '/metrics'].map((path) => [path, { target: 'http://127.0.0.1:3000' }]),
    ),
  },
});
