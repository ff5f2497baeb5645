import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '@sigdesk/config';
import { DatabaseModule } from '@sigdesk/db';
import { redactTokenInPath } from '@sigdesk/people';
import { QueueBackend, QueuesModule } from '@sigdesk/queues';
import { StorageModule } from '@sigdesk/storage';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}

/** What every sigdesk process has: configuration, logs, PostgreSQL, object storage and the queues. */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, queues: QueueBackend): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // readable lines in development, one JSON object per line in production
            transport:
              config.env === 'development'
                ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
                : undefined,
            genReqId: (request: IncomingMessage) => {
              const given = request.headers['x-request-id'];
              return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
            },
            redact: [
              'req.headers.authorization',
              'req.headers.cookie',
              'req.headers["x-csrf-token"]',
              'res.headers["set-cookie"]',
            ],
            // invitation and password-reset links carry their token in the path
            serializers: {
              req: (req: { url?: string }) => {
                if (typeof req.url === 'string') req.url = redactTokenInPath(req.url);
                return req;
              },
            },
            autoLogging: { ignore: (request: IncomingMessage) => request.url?.startsWith('/health') ?? false },
          },
        }),
        DatabaseModule,
        StorageModule,
        QueuesModule.forRoot(queues),
      ],
    };
  }
}
