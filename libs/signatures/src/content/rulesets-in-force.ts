import { Injectable } from '@nestjs/common';
import { SignatureEngine } from '../signature-engine';
import { ContentRepository } from './content.repository';
import { rulesHash } from './signature-content';

/**
 * The rulesets that detection keeps coming back to, however long since their last use: of every channel, the
 * published content (triage scans samples with it) and the newest content (every change is proven against it and
 * the next build starts from it), and the base ruleset of channels with no content yet. Their compiled form and
 * their verdicts are kept by the sweeps whatever their age.
 */
@Injectable()
export class RulesetsInForce {
  constructor(
    private readonly contents: ContentRepository,
    private readonly engine: SignatureEngine,
  ) {}

  /** Their rules hashes (see `rulesHash`), read now. */
  async rulesHashes(): Promise<Set<string>> {
    const hashes = new Set([rulesHash((await this.contents.baseContent()).rules)]);
    for (const channel of await this.contents.channels()) {
      const published = await this.engine.published(channel);
      if (published) hashes.add(rulesHash(published.content.rules));
      hashes.add(rulesHash((await this.engine.head(channel)).content.rules));
    }
    return hashes;
  }
}
