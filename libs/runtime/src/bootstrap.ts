import { DynamicModule, INestApplicationContext, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { ApiModule, configureHttp } from '@sigdesk/api';
import { AppConfig } from '@sigdesk/config';
import { createDatabase, DEFAULT_DATABASE_URL, ensureDatabaseExists, migrateToLatest } from '@sigdesk/db';
import { WorkerModule } from '@sigdesk/worker';
import { CoreModule } from './core.module';

export interface SigdeskProcess {
  /** Serve the HTTP API. */
  api: boolean;
  /** Consume the queues. */
  worker: boolean;
}

export interface StartedSigdesk {
  app: INestApplicationContext;
  /** Base URL of the HTTP API, when this process serves it. */
  url?: string;
  close(): Promise<void>;
}

/** Creates the database on a fresh machine and applies pending migrations (safe with concurrent starts). */
export async function prepareDatabase(config: AppConfig): Promise<string[]> {
  const url = config.database.url ?? DEFAULT_DATABASE_URL;
  if (!config.database.url) await ensureDatabaseExists(url);
  if (!config.database.migrateOnStart) return [];
  const db = createDatabase(url, 1);
  try {
    return await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

function rootModule(config: AppConfig, roles: SigdeskProcess): DynamicModule {
  @Module({})
  class SigdeskModule {}
  const imports: Array<Type | DynamicModule> = [CoreModule.forRoot(config)];
  if (roles.api) imports.push(ApiModule);
  if (roles.worker) imports.push(WorkerModule);
  return { module: SigdeskModule, imports };
}

export async function startSigdesk(config: AppConfig, roles: SigdeskProcess): Promise<StartedSigdesk> {
  const applied = await prepareDatabase(config);
  const module = rootModule(config, roles);

  if (!roles.api) {
    const app = await NestFactory.createApplicationContext(module, { bufferLogs: true, abortOnError: false });
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks();
    if (applied.length) app.get(Logger).log(`migrations applied: ${applied.join(', ')}`);
    return { app, close: () => app.close() };
  }

  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await configureHttp(app, config);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  if (applied.length) app.get(Logger).log(`migrations applied: ${applied.join(', ')}`);
  app.get(Logger).log(`sigdesk listening on http://${host}:${port} (api${roles.worker ? ' + worker' : ''})`);
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
