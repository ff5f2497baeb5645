import { DynamicModule, INestApplicationContext, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { BootstrapAdminKey } from '@sigdesk/accounts';
import { ApiModule, configureHttp, httpServerOptions } from '@sigdesk/api';
import { AppConfig } from '@sigdesk/config';
import { createDatabase, migrateToLatest, pingDatabase } from '@sigdesk/db';
import { QueueBackend } from '@sigdesk/queues';
import { EMBEDDED_S3, EmbeddedS3 } from '@sigdesk/storage';
import { WorkerModule } from '@sigdesk/worker';
import { CoreModule } from './core.module';
import { retryWhileDatabaseUnavailable } from './database-wait';
import { openProcessServices, startupLogger } from './services';
import { StartupSummary, urlAddress } from './startup-summary';

export interface SigdeskProcess {
  /** Serve the HTTP API. */
  api: boolean;
  /** Consume the queues. */
  worker: boolean;
}

export interface StartedSigdesk {
  app: INestApplicationContext;
  /** The configuration the process runs with (with the URL of its embedded PostgreSQL, when it runs one). */
  config: AppConfig;
  /** Base URL of the HTTP API, when this process serves it. */
  url?: string;
  /** Where everything is, for the person who started it. */
  summary: StartupSummary;
  /** Stops the application, then the queues' connection and the embedded PostgreSQL it started (once). */
  close(): Promise<void>;
}

/**
 * Waits until PostgreSQL answers (a process may start before its database, or during a failover), then applies
 * pending migrations (safe with concurrent starts).
 */
export async function prepareDatabase(config: AppConfig, log: (message: string) => void): Promise<string[]> {
  const url = config.database.url!;
  return retryWhileDatabaseUnavailable(
    async () => {
      const db = createDatabase(url, 1, () => undefined);
      try {
        await pingDatabase(db);
        return config.database.migrateOnStart ? await migrateToLatest(db) : [];
      } finally {
        await db.destroy();
      }
    },
    { what: `PostgreSQL at ${urlAddress(url)}`, log },
  );
}

function rootModule(config: AppConfig, queues: QueueBackend, roles: SigdeskProcess): DynamicModule {
  @Module({})
  class SigdeskModule {}
  const imports: Array<Type | DynamicModule> = [CoreModule.forRoot(config, queues)];
  if (roles.api) imports.push(ApiModule);
  if (roles.worker) imports.push(WorkerModule);
  return { module: SigdeskModule, imports };
}

async function createApplication(
  config: AppConfig,
  queues: QueueBackend,
  roles: SigdeskProcess,
): Promise<{ app: INestApplicationContext; url?: string }> {
  const module = rootModule(config, queues, roles);
  if (!roles.api) {
    const app = await NestFactory.createApplicationContext(module, { bufferLogs: true, abortOnError: false });
    app.useLogger(app.get(Logger));
    return { app };
  }
  const adapter = new FastifyAdapter(httpServerOptions(config));
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  await configureHttp(app, config);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  return { app, url: `http://${host}:${port}` };
}

/**
 * Starts one sigdesk process: its embedded PostgreSQL when no `DATABASE_URL` is given, the migrations, the queues'
 * connection, then the application. `close()` stops them in the reverse order; signals are the caller's to handle
 * (see `runProcess`), so that nothing the application still uses is stopped under it.
 */
export async function startSigdesk(given: AppConfig, roles: SigdeskProcess): Promise<StartedSigdesk> {
  const log = startupLogger(given);
  const services = await openProcessServices(given, log);
  const config = services.config;
  let app: INestApplicationContext | undefined;
  try {
    const applied = await prepareDatabase(config, (message) => log.warn(message));
    const created = await createApplication(config, services.queues, roles);
    app = created.app;
    const logger = app.get(Logger);
    if (applied.length) logger.log(`migrations applied: ${applied.join(', ')}`);
    logger.log(
      `sigdesk ready${created.url ? ` on ${created.url}` : ''} (${roles.api ? 'api' : ''}${roles.api && roles.worker ? ' + ' : ''}${roles.worker ? 'worker' : ''})`,
    );

    const embeddedS3 = app.get<EmbeddedS3 | null>(EMBEDDED_S3, { strict: false });
    const summary: StartupSummary = {
      url: created.url,
      roles,
      dataDir: config.dataDir,
      postgres: services.postgres
        ? { embedded: true, url: services.postgres.url }
        : { embedded: false, url: config.database.url! },
      queues: services.queues.kind,
      s3: embeddedS3
        ? {
            embedded: true,
            endpoint: embeddedS3.endpoint,
            keysFrom: embeddedS3.keysFrom,
            serving: embeddedS3.serving,
            notice: embeddedS3.notice,
          }
        : { embedded: false, endpoint: config.s3.endpoint! },
      adminKey: roles.api
        ? {
            made: app.get(BootstrapAdminKey, { strict: false }).firstAdminKey,
            configured: Boolean(config.bootstrapAdminKey),
          }
        : undefined,
    };

    let closing: Promise<void> | undefined;
    const running = app;
    return {
      app,
      config,
      url: created.url,
      summary,
      close: () =>
        (closing ??= (async () => {
          try {
            await running.close();
          } finally {
            await services.close();
          }
        })()),
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    throw error;
  }
}
