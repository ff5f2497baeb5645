import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ObjectStore } from '@sigdesk/storage';
import { baseRules, defaultCorpus } from './signature-assets';
import { ContentRepository } from './content/content.repository';
import { sha256Of } from './content/signature-content';
import { SignaturesRepository } from './signatures.repository';

export const CorpusKeys = { file: (sha256: string) => `corpus/${sha256.slice(0, 2)}/${sha256}` };

/** On the first start: the base ruleset (the content of every channel until its first build) and the default corpus. */
@Injectable()
export class SignaturesBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(SignaturesBootstrap.name);

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly contents: ContentRepository,
    private readonly store: ObjectStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const rules = (await baseRules()).map((r) => ({ ...r, sha256: sha256Of(r.source) }));
    const loaded = await this.contents.seedBase(rules);
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
