import pino, { Logger as PinoLogger } from 'pino';
import { AppConfig } from '@sigdesk/config';
import { EmbeddedPostgres, startEmbeddedPostgres } from '@sigdesk/db';
import { openQueueBackend, QueueBackend } from '@sigdesk/queues';
import { retryWhileDatabaseUnavailable } from './database-wait';
import { urlAddress } from './startup-summary';

/**
 * What a process opens before its modules start and closes after they have stopped: the embedded PostgreSQL server
 * when no `DATABASE_URL` is given, and the connection of the queues (Redis, or that PostgreSQL).
 */
export interface ProcessServices {
  /** The configuration with the PostgreSQL that this process uses. */
  config: AppConfig;
  postgres?: EmbeddedPostgres;
  queues: QueueBackend;
  close(): Promise<void>;
}

/** Logs of the start, before the application's logger exists: the same format (pretty in development, else JSON). */
export function startupLogger(config: AppConfig): PinoLogger {
  return pino({
    level: config.logLevel,
    base: { context: 'sigdesk' },
    transport:
      config.env === 'development'
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
        : undefined,
  });
}

export async function openProcessServices(given: AppConfig, log: PinoLogger): Promise<ProcessServices> {
  let config = given;
  let postgres: EmbeddedPostgres | undefined;
  if (!config.database.url) {
    postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (message) => log.info(message) });
    config = config.withDatabaseUrl(postgres.url);
  }
  try {
    const databaseUrl = config.database.url!;
    // on PostgreSQL the queues' schema is migrated here: the first thing of the process to need the database
    const queues = await retryWhileDatabaseUnavailable(
      () =>
        openQueueBackend({
          redisUrl: config.redis.url,
          redisPrefix: config.redis.prefix,
          databaseUrl,
          warn: (message) => log.warn(message),
        }),
      { what: `PostgreSQL at ${urlAddress(databaseUrl)} (the queues' tables)`, log: (message) => log.warn(message) },
    );
    return {
      config,
      postgres,
      queues,
      async close() {
        await queues.close();
        await postgres?.stop();
      },
    };
  } catch (error) {
    await postgres?.stop();
    throw error;
  }
}
