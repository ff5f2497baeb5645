import fastifyHelmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@sigdesk/config';

/** Where the OpenAPI page and its assets are served (see `configureHttp`). */
export const DOCS_PATH = '/docs';

/** The API answers JSON and downloads: nothing in it may load, run, embed or be embedded. */
const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The OpenAPI page (Swagger UI): its scripts, stylesheet and images are served by the API itself; it styles
 * elements inline and calls the API ("try it out"). Nothing else, and it may not be framed either.
 */
const DOCS_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * The web app (apps/web, served on the API's origin): its own scripts and styles only, no inline script, no eval,
 * calls to its own origin. 'wasm-unsafe-eval' lets its own WebAssembly compile (the SHA-256 of samples, hashed in
 * the browser before an upload); it admits no JavaScript eval. Styles allow 'unsafe-inline' because Mantine writes its CSS variables in a <style>
 * element and its style props as style attributes.
 */
const WEB_APP_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Paths of the API and its operations, under the API's policy; every other path is the web app's. */
const API_PATHS = /^\/(?:v1|health|metrics)(?:\/|$)/;

export function cspHeader(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/**
 * Security headers on every answer (helmet): the CSP above, HSTS outside development (browsers would pin a
 * developer's localhost to HTTPS otherwise), nosniff, no framing, no referrer, same-origin resources.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    strictTransportSecurity:
      config.env === 'development' ? false : { maxAge: 365 * 24 * 3600, includeSubDomains: true, preload: false },
    xContentTypeOptions: true,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // the API embeds nothing; requiring CORP of what it embeds would only break the docs' data: images
    crossOriginEmbedderPolicy: false,
  });
  const docsCsp = cspHeader(DOCS_CSP);
  const webAppCsp = cspHeader(WEB_APP_CSP);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const path = request.url.split('?', 1)[0];
      if (path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`))
        reply.raw.setHeader('content-security-policy', docsCsp);
      else if (!API_PATHS.test(path)) reply.raw.setHeader('content-security-policy', webAppCsp);
      done();
    });
}
