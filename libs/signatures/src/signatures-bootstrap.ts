import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ObjectStore } from '@sigdesk/storage';
import { baseRules, defaultCorpus } from './signature-assets';
import { SignaturesRepository } from './signatures.repository';

export const CorpusKeys = { file: (sha256: string) => `corpus/${sha256.slice(0, 2)}/${sha256}` };

/** On the first start: the base ruleset becomes the content of database version 1, and the default corpus is stored. */
@Injectable()
export class SignaturesBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(SignaturesBootstrap.name);

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly store: ObjectStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const loaded = await this.signatures.seedBaseRules(await baseRules());
    if (loaded) this.logger.log({ rules: loaded }, 'base ruleset loaded');
    if ((await this.signatures.corpusFiles()).length === 0) {
      for (const file of await defaultCorpus()) {
        const bytes = await readFile(file.path);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const storageKey = CorpusKeys.file(sha256);
        await this.store.put(storageKey, bytes);
        await this.signatures.addCorpusFile({ sha256, name: file.name, size: bytes.length, storageKey }, null);
      }
    }
  }
}
