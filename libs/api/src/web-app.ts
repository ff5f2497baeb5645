import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@sigdesk/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Paths that belong to the API and its operations: never answered with the web app's page. */
const SERVER_PATHS = /^\/(?:v1|health|docs|assets|metrics)(?:\/|$)/;

/** Hashed file names change with their content, so a browser may keep them for a year without asking again. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sigdesk: the web app is not built</title></head>
<body>
<h1>The web app is not built</h1>
<p>This sigdesk serves its HTTP API, but the web app's files are missing. Run <code>npm run build</code>
(<code>npm start</code> does it) and reload this page.</p>
</body>
</html>
`;

/** Whether the client asks for an HTML page: a browser's navigation names text/html in its Accept header. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((entry) => {
    const [type, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'text/html' && type !== 'application/xhtml+xml') return false;
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built web app (apps/web, built by `npm run build` into `SIGDESK_WEB_DIR`) on the API's origin, so that
 * cookies and the content security policy stay simple and no CORS is needed:
 * - `/assets/*`: the hashed files, cached for a year as immutable;
 * - any other GET of a page (Accept: text/html) outside the API's paths: index.html, never cached without asking
 *   again, so the client-side router shows the page, or its own "not found";
 * - everything else (an unknown `/v1` path, a missing asset, a client asking for JSON) goes to the API's 404.
 * Without a built app, a page request answers a short 404 page that says so.
 */
export async function serveWebApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const root = config.web.dir;
  const index = join(root, 'index.html');
  if (!(await isFile(index))) {
    new Logger('WebApp').warn(`the web app is not built (no ${index}): pages answer 404 until \`npm run build\``);
  }

  await app.register(async (instance: FastifyInstance) => {
    // public, and not counted against an address's rate limit: a page load fetches many files (request-admission.ts)
    instance.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'web' };
    });
    await instance.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      // the folder appears with the first build; until then every asset is the API's 404
      suppressWarning: true,
      index: false,
      dotfiles: 'ignore',
      cacheControl: false,
      // index.html goes out through the same plugin: a new release must reach the browser at its next visit
      setHeaders: (reply, path) =>
        void reply.header('cache-control', path === index ? 'no-cache' : ASSET_CACHE_CONTROL),
    });

    instance.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?', 1)[0];
      if (SERVER_PATHS.test(path) || !acceptsHtml(request.headers.accept)) return reply.callNotFound();
      if (!(await isFile(index))) {
        return reply
          .status(404)
          .header('cache-control', 'no-store')
          .header('content-type', 'text/html; charset=utf-8')
          .send(NOT_BUILT_PAGE);
      }
      return reply.sendFile('index.html', root);
    });
  });
}
