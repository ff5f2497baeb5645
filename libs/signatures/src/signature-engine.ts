import { Injectable } from '@nestjs/common';
import { CompileOutcome, CompiledRuleset, decideDetection, DetectionDecision } from '@sigdesk/detection';
import { ObjectCache } from '@sigdesk/storage';
import { CompiledRulesets } from './content/compiled-rulesets';
import { ContentRepository } from './content/content.repository';
import { activeAllowlist, VersionedContent } from './content/signature-content';

export interface ScanTarget {
  /** how reports name the file */
  file: string;
  sha256: string;
  storageKey: string;
}

export interface FileVerdict extends DetectionDecision {
  target: ScanTarget;
  millis: number;
  /** offsets of the first matches of each rule, for evidence */
  offsets: Record<string, number[]>;
}

/**
 * Detection with the content of a given database version of a channel: what a version holds, its compiled
 * ruleset (compiled once per process), and the local, content-addressed copies of the files scans read.
 */
@Injectable()
export class SignatureEngine {
  constructor(
    private readonly contents: ContentRepository,
    private readonly rulesets: CompiledRulesets,
    private readonly objects: ObjectCache,
  ) {}

  contentAt(channel: string, version: number | null): Promise<VersionedContent> {
    return this.contents.contentAt(channel, version);
  }

  /** The content of the newest published release of the channel, or null when none is published. */
  async published(channel: string): Promise<VersionedContent | null> {
    const version = await this.contents.publishedVersion(channel);
    return version === null ? null : this.contents.contentAt(channel, version);
  }

  /** The newest known content of the channel (a stored build may be ahead of the published release). */
  async head(channel: string): Promise<VersionedContent> {
    return this.contents.contentAt(channel, await this.contents.headVersion(channel));
  }

  /** Runs `work` with the compiled ruleset of the content's rules. */
  withCompiled<T>(versioned: VersionedContent, work: (compiled: CompileOutcome) => Promise<T>): Promise<T> {
    return this.rulesets.use(versioned.content.rules, work);
  }

  /** Scans each target with the content's ruleset, one after the other, and decides detection at `now`. */
  async scanAll(
    versioned: VersionedContent,
    ruleset: CompiledRuleset,
    targets: readonly ScanTarget[],
    options: { timeoutMs: number; now?: Date; onScanned?: (done: number) => Promise<void> },
  ): Promise<FileVerdict[]> {
    const allowlist = activeAllowlist(versioned.content, options.now ?? new Date());
    const verdicts: FileVerdict[] = [];
    for (const [index, target] of targets.entries()) {
      const path = await this.localCopy(target.storageKey, target.sha256);
      const scan = await ruleset.scanFile(path, { timeoutMs: options.timeoutMs });
      verdicts.push({
        ...decideDetection(target.sha256, scan, allowlist),
        target,
        millis: scan.millis,
        offsets: Object.fromEntries(scan.matches.map((m) => [m.rule, m.patterns.map((p) => p.offset).slice(0, 10)])),
      });
      if (options.onScanned && (index + 1) % 50 === 0) await options.onScanned(index + 1);
    }
    return verdicts;
  }

  /** A local file with the object's bytes (verified against its SHA-256), from the bounded local cache. */
  localCopy(storageKey: string, sha256: string): Promise<string> {
    return this.objects.localCopy(storageKey, sha256);
  }
}
