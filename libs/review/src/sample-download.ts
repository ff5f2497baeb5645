import { Injectable } from '@nestjs/common';
import { PassThrough, Readable } from 'node:stream';
import { configure, ZipWriter } from '@zip.js/zip.js';
import { CasesRepository } from '@sigdesk/cases';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { caseSample } from './case-sample';

configure({ useWebWorkers: false });

export const DOWNLOAD_PASSWORD = 'infected';

/**
 * A sample as analysts receive it: inside a ZIP protected with "infected" (ZipCrypto, which every analysis
 * tool opens), built while it streams from object storage, never the raw file.
 */
@Injectable()
export class SampleDownloads {
  constructor(
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
  ) {}

  async open(caseId: string, sha256: string): Promise<{ fileName: string; stream: Readable }> {
    await caseSample(this.cases, caseId, sha256);
    const source = await this.store.getStream(StorageKeys.sample(sha256));
    const output = new PassThrough();
    const writer = new ZipWriter(
      new WritableStream<Uint8Array>({
        write: (chunk) =>
          new Promise<void>((resolve, reject) => {
            output.write(chunk, (error) => (error ? reject(error) : resolve()));
          }),
        close: () => {
          output.end();
        },
        abort: (reason) => {
          output.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        },
      }),
      { password: DOWNLOAD_PASSWORD, zipCrypto: true, bufferedWrite: false },
    );
    writer
      .add(`${sha256}.bin`, Readable.toWeb(source) as ReadableStream<Uint8Array>)
      .then(() => writer.close())
      .catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
    return { fileName: `${sha256}.zip`, stream: output };
  }
}
