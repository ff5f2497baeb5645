import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { EmbeddedS3, startEmbeddedS3 } from './embedded-s3';
import { ObjectCache } from './object-cache';
import { ObjectStore } from './object-store';
import { createS3Client } from './s3-client.factory';

/** The embedded S3 server this process started or found, or null where `S3_ENDPOINT` is given. */
export const EMBEDDED_S3 = Symbol('EMBEDDED_S3');

@Injectable()
class StorageLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EMBEDDED_S3) private readonly embedded: EmbeddedS3 | null,
    private readonly store: ObjectStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.store.close();
    await this.embedded?.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED_S3,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (config.s3.endpoint) return null;
        const logger = new Logger('EmbeddedS3');
        return startEmbeddedS3({
          dataDir: config.dataDir,
          region: config.s3.region,
          credentials: config.s3.credentials,
          log: (level, message) => (level === 'warn' ? logger.warn(message) : logger.log(message)),
        });
      },
    },
    {
      provide: ObjectStore,
      inject: [AppConfig, EMBEDDED_S3],
      useFactory: async (config: AppConfig, embedded: EmbeddedS3 | null) => {
        const client = createS3Client(
          embedded
            ? { endpoint: embedded.endpoint, region: config.s3.region, ...embedded.credentials }
            : { endpoint: config.s3.endpoint!, region: config.s3.region, ...config.s3.credentials! },
        );
        const store = new ObjectStore(client, config.s3.bucket);
        await store.ensureBucket();
        return store;
      },
    },
    ObjectCache,
    StorageLifecycle,
  ],
  exports: [ObjectStore, ObjectCache, EMBEDDED_S3],
})
export class StorageModule {}
