import fastifyMultipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AUTHENTICATORS, type Authenticator } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { MetricsService } from '@sigdesk/ops';
import { drainConnectionsOnClose } from './connection-drain';
import { enforceHttpLimits } from './http-limits';
import { RateLimiter } from './rate-limits/rate-limiter';
import { admitRequests } from './request-admission';
import { watchRequestArrival } from './request-arrival';
import { DOCS_PATH, registerSecurityHeaders } from './security-headers';
import { serveWebApp } from './web-app';

/** Fastify plugins, request metrics, the OpenAPI document and the web app, shared by every process that serves HTTP. */
export async function configureHttp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // the OpenAPI document and its viewer are public (registered below, through Nest's adapter, without route config)
  fastify.addHook('onRoute', (route) => {
    if (route.url === DOCS_PATH || route.url.startsWith(`${DOCS_PATH}/`)) {
      route.config = { ...route.config, access: 'public' };
    }
  });
  drainConnectionsOnClose(fastify);
  await registerSecurityHeaders(app, config);
  enforceHttpLimits(fastify, config.limits);
  watchRequestArrival(fastify, config);
  admitRequests(fastify, { authenticators: app.get<Authenticator[]>(AUTHENTICATORS), limiter: app.get(RateLimiter) });
  // per-route limits are set where the parts are read; these are the outer bounds
  await app.register(fastifyMultipart, {
    limits: { fileSize: config.limits.multipart.fileBytes, files: config.limits.multipart.files },
  });

  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  if (config.docs) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('sigdesk')
        .setDescription('Antivirus signature change requests: intake, review, signature changes and database builds.')
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key issued by an administrator' })
        .addCookieAuth('sigdesk_session', {
          type: 'apiKey',
          in: 'cookie',
          description: "A person's session (POST /v1/sessions); state-changing requests also send X-CSRF-Token",
        })
        .build(),
    );
    SwaggerModule.setup(DOCS_PATH.slice(1), app, document, { jsonDocumentUrl: `${DOCS_PATH.slice(1)}/openapi.json` });
  }

  await serveWebApp(app, config);
}
