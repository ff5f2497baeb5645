import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '@sigdesk/config';
import { EMBEDDED_S3_CREDENTIALS, EmbeddedS3, startEmbeddedS3 } from './embedded-s3';
import { ObjectCache } from './object-cache';
import { ObjectStore } from './object-store';
import { createS3Client } from './s3-client.factory';

export const EMBEDDED_S3_PORT = 4568;
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
      useFactory: (config: AppConfig) =>
        config.s3.endpoint ? null : startEmbeddedS3(join(config.dataDir, 's3'), EMBEDDED_S3_PORT),
    },
    {
      provide: ObjectStore,
      inject: [AppConfig, EMBEDDED_S3],
      useFactory: async (config: AppConfig, embedded: EmbeddedS3 | null) => {
        const client = createS3Client(
          embedded
            ? { endpoint: embedded.endpoint, region: config.s3.region, ...EMBEDDED_S3_CREDENTIALS }
            : { ...config.s3, endpoint: config.s3.endpoint! },
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
