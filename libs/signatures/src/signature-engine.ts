import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  CompiledRuleset,
  decideDetection,
  DetectionDecision,
  scanVariables,
  type ScanVariables,
} from '@sigdesk/detection';
import { ReleasesRepository } from '@sigdesk/releases';
import { ObjectCache } from '@sigdesk/storage';
import { CompiledOutcome, CompiledRulesets } from './content/compiled-rulesets';
import { ContentRepository } from './content/content.repository';
import { activeAllowlist, rulesHash, VersionedContent } from './content/signature-content';
import { fileKey, RawScan, ScannedFile, ScanVerdictsRepository } from './scan-verdicts.repository';

/** Local copies fetched ahead of the scan that needs them, so that downloads and checks overlap the scans. */
const FETCH_AHEAD = 8;

/**
 * The local copies of one pass over a set of files (a proof scanning with two rulesets side by side shares one):
 * each file is fetched and checked once per pass, a few files ahead of the scans.
 */
export class LocalFiles {
  private readonly copies = new Map<string, Promise<string>>();

  constructor(private readonly fetch: (storageKey: string, sha256: string) => Promise<string>) {}

  get(target: ScanTarget): Promise<string> {
    let copy = this.copies.get(target.sha256);
    if (!copy) {
      copy = this.fetch(target.storageKey, target.sha256);
      // a failed fetch is the scan's to report; fetched ahead, nobody may be waiting for it yet
      copy.catch(() => undefined);
      this.copies.set(target.sha256, copy);
    }
    return copy;
  }
}

/** Scan results remembered per process (about 200 bytes each): a build re-proving validated content scans nothing. */
const MAX_REMEMBERED_SCANS = 200_000;

export interface ScanTarget {
  /** how reports name the file */
  file: string;
  sha256: string;
  storageKey: string;
  /** the file's own name (the path within its archive, say), for the rules' `filename`, `filepath`, `extension` */
  name?: string | null;
  /** the type sigdesk found for the file (`pe`, say), for the rules' `filetype` */
  type?: string | null;
}

export interface FileVerdict extends DetectionDecision {
  target: ScanTarget;
  millis: number;
  cpuMillis: number;
  /** the result of an earlier scan of the same file with the same rules, not scanned again */
  remembered: boolean;
  /** offsets of the first matches of each rule, for evidence */
  offsets: Record<string, number[]>;
}

/**
 * Detection with the content of a given database version of a channel: what a version holds, its compiled
 * ruleset (compiled once per process), and the local, content-addressed copies of the files scans read.
 */
@Injectable()
export class SignatureEngine {
  private readonly remembered = new Map<string, RawScan>();
  constructor(
    private readonly contents: ContentRepository,
    private readonly releases: ReleasesRepository,
    private readonly rulesets: CompiledRulesets,
    private readonly objects: ObjectCache,
    private readonly verdicts: ScanVerdictsRepository,
  ) {}

  /** The content of the newest published release of the channel, or null when none is published. */
  async published(channel: string): Promise<VersionedContent | null> {
    const release = await this.releases.current(channel);
    return release ? this.contents.contentAt(channel, release.version) : null;
  }

  /** The newest known content of the channel (a stored build may be ahead of the published release). */
  async head(channel: string): Promise<VersionedContent> {
    return this.contents.contentAt(channel, await this.contents.headVersion(channel));
  }

  /** Runs `work` with the compiled ruleset of the content's rules. */
  withCompiled<T>(versioned: VersionedContent, work: (compiled: CompiledOutcome) => Promise<T>): Promise<T> {
    return this.rulesets.use(versioned.content.rules, work);
  }

  /**
   * Scans each target with the content's ruleset, as many at once as the ruleset's engine runs, and decides
   * detection at `now` (the allow-list in force then); the verdicts come in the order of the targets. A file already
   * scanned with the same rules, in this process or another (scan_verdicts), is not scanned again: YARA-X answers the
   * same for the same rules and bytes, and files are named by their SHA-256.
   */
  async scanAll(
    versioned: VersionedContent,
    ruleset: CompiledRuleset,
    targets: readonly ScanTarget[],
    options: {
      timeoutMs: number;
      now?: Date;
      onScanned?: (done: number) => Promise<void>;
      /** shared with another pass over the same files, so that each is fetched and checked once */
      files?: LocalFiles;
    },
  ): Promise<FileVerdict[]> {
    const allowlist = activeAllowlist(versioned.content, options.now ?? new Date());
    const rules = rulesHash(versioned.content.rules);
    const files = options.files ?? this.localFiles();
    // each target as its scan sees it, worked out once for the pass (its variables' hash is part of its key)
    const asScanned = targets.map(scanned);
    const unknown = (index: number) => !this.remembered.has(rememberedKey(rules, asScanned[index]));
    const stored = await this.verdicts.known(
      rules,
      asScanned.filter((_, index) => unknown(index)),
    );
    for (const file of asScanned) {
      const scan = stored.get(fileKey(file));
      if (scan) this.remember(rememberedKey(rules, file), scan);
    }
    const newlyScanned: Array<ScannedFile & { scan: RawScan }> = [];
    const threads = Math.max(1, Math.min(ruleset.scanThreads, targets.length));
    const verdicts = new Array<FileVerdict>(targets.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const scanNext = async (): Promise<void> => {
      while (!failed && next < targets.length) {
        const index = next++;
        const target = targets[index];
        const ahead = Math.min(targets.length, index + 1 + FETCH_AHEAD + threads);
        for (let later = index + 1; later < ahead; later++) if (unknown(later)) void files.get(targets[later]);
        const remembered = !unknown(index);
        const file = asScanned[index];
        const scan = await this.scanOnce(rules, ruleset, target, file, options.timeoutMs, files);
        if (!remembered) newlyScanned.push({ sha256: file.sha256, context: file.context, scan });
        verdicts[index] = verdictOf(target, scan, allowlist, remembered);
        done += 1;
        if (options.onScanned && done % 50 === 0) await options.onScanned(done);
      }
    };
    try {
      await Promise.all(
        Array.from({ length: threads }, () =>
          scanNext().catch((error: unknown) => {
            failed = true;
            throw error;
          }),
        ),
      );
    } finally {
      // what was scanned stays known, even when the pass stopped on a file
      await this.verdicts.remember(rules, newlyScanned);
    }
    return verdicts;
  }

  /**
   * The content's verdicts on the targets without a scan with its own ruleset, for content whose scans can be made
   * from scans with other rulesets (see contentDelta): a file whose scan with the content's rules is known (in this
   * process or another, scan_verdicts) is taken as known; the scans of the others (by their index in `targets`) come
   * from `derive`, and are remembered under the content's rules as a scan with them would be, so that a later pass
   * with these rules (the build of the same content, say) finds them. Detection is decided as scanAll decides it.
   */
  async derivedScans(
    versioned: VersionedContent,
    targets: readonly ScanTarget[],
    derive: (pending: number[]) => Promise<Array<RawScan & { remembered: boolean }>>,
    options: { now?: Date } = {},
  ): Promise<Array<FileVerdict & { derived: boolean }>> {
    const allowlist = activeAllowlist(versioned.content, options.now ?? new Date());
    const rules = rulesHash(versioned.content.rules);
    const asScanned = targets.map(scanned);
    const known: Array<RawScan | undefined> = asScanned.map((file) => this.remembered.get(rememberedKey(rules, file)));
    const stored = await this.verdicts.known(
      rules,
      asScanned.filter((_, index) => !known[index]),
    );
    asScanned.forEach((file, index) => (known[index] ??= stored.get(fileKey(file))));
    const pending = targets.flatMap((_, index) => (known[index] ? [] : [index]));
    const derived = pending.length ? await derive(pending) : [];
    if (derived.length !== pending.length)
      throw new Error(`${derived.length} scans derived for ${pending.length} files`);

    const newlyDerived = pending.map((index, n) => {
      const { rules: found, offsets, millis, cpuMillis } = derived[n];
      const scan: RawScan = { rules: found, offsets, millis, cpuMillis };
      return { sha256: asScanned[index].sha256, context: asScanned[index].context, scan };
    });
    for (const { sha256, context, scan } of newlyDerived)
      this.remember(rememberedKey(rules, { sha256, context }), scan);
    await this.verdicts.remember(rules, newlyDerived);
    const derivedAt = new Map(pending.map((index, n) => [index, derived[n]]));
    return targets.map((target, index) => {
      const scan = derivedAt.get(index) ?? known[index]!;
      return {
        ...verdictOf(target, scan, allowlist, derivedAt.get(index)?.remembered ?? true),
        derived: derivedAt.has(index),
      };
    });
  }

  /** A pass over files: see LocalFiles. */
  localFiles(): LocalFiles {
    return new LocalFiles((storageKey, sha256) => this.localCopy(storageKey, sha256));
  }

  private async scanOnce(
    rules: string,
    ruleset: CompiledRuleset,
    target: ScanTarget,
    file: ScannedFile & { variables: ScanVariables },
    timeoutMs: number,
    files: LocalFiles,
  ) {
    const key = rememberedKey(rules, file);
    const known = this.remembered.get(key);
    if (known) return known;
    const path = await files.get(target);
    const scan = await ruleset.scanFile(path, { timeoutMs, variables: file.variables });
    const raw: RawScan = {
      rules: [...new Set(scan.matches.map(qualifiedName))],
      offsets: Object.fromEntries(
        scan.matches.map((m) => [qualifiedName(m), m.patterns.map((p) => p.offset).slice(0, 10)]),
      ),
      millis: scan.millis,
      cpuMillis: scan.cpuMillis,
    };
    this.remember(key, raw);
    return raw;
  }

  private remember(key: string, raw: RawScan): void {
    if (this.remembered.size >= MAX_REMEMBERED_SCANS) {
      // the oldest entries go first (a Map keeps insertion order)
      for (const old of [...this.remembered.keys()].slice(0, MAX_REMEMBERED_SCANS / 10)) this.remembered.delete(old);
    }
    this.remembered.set(key, raw);
  }

  /** A local file with the object's bytes (verified against its SHA-256), from the bounded local cache. */
  localCopy(storageKey: string, sha256: string): Promise<string> {
    return this.objects.localCopy(storageKey, sha256);
  }
}

/**
 * Scans are remembered under the rules' hash, the file's SHA-256 and the scan's external variables: YARA-X answers
 * the same for all three the same.
 */
function rememberedKey(rules: string, file: ScannedFile): string {
  return `${rules}:${fileKey(file)}`;
}

/** The file as its scan sees it: its bytes, and its name and type if a rule may look at them (its variables). */
function scanned(target: ScanTarget): ScannedFile & { variables: ScanVariables } {
  const variables = scanVariables(target);
  const given = Object.values(variables).some((value) => value !== '');
  return {
    sha256: target.sha256,
    context: given ? createHash('sha256').update(JSON.stringify(variables)).digest('hex') : '',
    variables,
  };
}

/** A rule as verdicts and reports name it: `namespace:rule` for a rule of an imported pack file. */
export function qualifiedName(match: { rule: string; namespace?: string }): string {
  return match.namespace ? `${match.namespace}:${match.rule}` : match.rule;
}

/** A file's verdict from its scan's matches, with the allow-list in force. */
function verdictOf(target: ScanTarget, scan: RawScan, allowlist: Set<string>, remembered: boolean): FileVerdict {
  return {
    ...decideDetection(
      target.sha256,
      { matches: scan.rules.map((rule) => matchOf(rule)), millis: 0, cpuMillis: 0 },
      allowlist,
    ),
    target,
    millis: scan.millis,
    cpuMillis: scan.cpuMillis,
    offsets: scan.offsets,
    remembered,
  };
}

function matchOf(rule: string) {
  return { rule, tags: [], meta: {}, patterns: [] };
}
