import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sigdesk/config';
import {
  compileRuleset,
  DEFAULT_ENGINE_MEMORY_BYTES,
  EnginePool,
  ScanEngineError,
  ScanTimeoutError,
} from '@sigdesk/detection';
import type { RulePackFile } from '@sigdesk/db';
import { packRevision, VersionedContent } from '../content/signature-content';
import { ScanTarget, SignatureEngine } from '../signature-engine';
import { SignaturesRepository } from '../signatures.repository';
import { FileReport, PackSummary, ruleReports } from './pack-report';
import { RulePacksRepository } from './rule-packs.repository';

/**
 * The profiling pass scans this much of the clean corpus (its smallest files first, so that many kinds of file are
 * in it) with each file's rules alone: enough to tell an expensive file from a cheap one, little enough that a pack
 * of hundreds of files is profiled in minutes.
 */
export const PROFILE_BYTES = 16 * 1024 * 1024;

/** Diagnostics kept per file in the report. */
const KEPT_DIAGNOSTICS = 20;

/**
 * The quality report of an imported pack, before anyone accepts it:
 * 1. each file compiled alone in its namespace (compiled, or why not: an unknown module, a syntax error, an external
 *    variable sigdesk does not declare, an `include`), with its warnings;
 * 2. a profiling pass: a sample of the clean corpus scanned with each file's rules alone, for each file's share of
 *    the pack's scan cost (YARA-X's per-rule profiling is not in its Node binding: the finest grain is the file);
 * 3. the clean corpus scanned once with every file that compiles, in their namespaces, for each rule's hits (with
 *    the files), each clean file scanned with its real name for the rules' `filename` and `extension`.
 * A rule with clean-corpus hits or a slow-pattern warning is flagged. Nothing here changes any content.
 */
@Injectable()
export class RulePackAnalyser {
  private readonly logger = new Logger(RulePackAnalyser.name);

  constructor(
    private readonly config: AppConfig,
    private readonly packs: RulePacksRepository,
    private readonly signatures: SignaturesRepository,
    private readonly engine: SignatureEngine,
  ) {}

  async analyse(
    importId: string,
    reportProgress: (progress: Record<string, unknown>) => Promise<void> = async () => undefined,
  ): Promise<{ status: string }> {
    const pack = await this.packs.find(importId);
    if (!pack) throw new UnrecoverableError(`rule pack import ${importId} does not exist`);
    if (pack.status !== 'analysing') return { status: pack.status };
    const started = Date.now();
    const progress = async (stage: string, extra: Record<string, unknown> = {}) => {
      const value = { stage, ...extra };
      await this.packs.setProgress(importId, value);
      await reportProgress(value);
    };

    const files = await this.packs.files(importId);
    const corpus: Array<ScanTarget & { size: number }> = (await this.signatures.corpusFiles()).map((f) => ({
      file: f.name,
      sha256: f.sha256,
      storageKey: f.storageKey,
      name: f.name,
      size: f.size,
    }));
    const profileSample = sample(corpus, PROFILE_BYTES);
    const reports = new Map<number, FileReport>();
    const compiledFiles: RulePackFile[] = [];

    try {
      // 1 and 2: each file alone
      const spares = new EnginePool({ size: 1, memoryLimitBytes: DEFAULT_ENGINE_MEMORY_BYTES });
      const localFiles = this.engine.localFiles();
      try {
        for (const [index, file] of files.entries()) {
          if (index % 10 === 0) await progress('files', { files: files.length, done: index });
          reports.set(file.position, await this.analyseFile(file, profileSample, spares, localFiles));
          if (reports.get(file.position)!.compiled) compiledFiles.push(file);
        }
      } finally {
        await spares.close();
      }
      const totalProfile = [...reports.values()].reduce((sum, r) => sum + (r.profile?.cpuMillis ?? 0), 0);
      for (const report of reports.values()) {
        if (report.profile) report.profile.share = totalProfile > 0 ? report.profile.cpuMillis / totalProfile : 0;
      }

      // 3: the clean corpus with every file that compiles, as the pack would run
      const hits = new Map<string, Map<string, string[]>>();
      let filesHit = 0;
      let cpuMillis = 0;
      if (compiledFiles.length > 0 && corpus.length > 0) {
        await progress('clean corpus', { files: corpus.length, scanned: 0 });
        const versioned: VersionedContent = {
          channel: pack.channel,
          version: null,
          content: {
            rules: compiledFiles.map((f) =>
              packRevision(
                {
                  namespace: f.namespace,
                  path: f.path,
                  source: f.source,
                  provenance: { pack: pack.pack_name, file: f.path, importId },
                },
                null,
              ),
            ),
            allowlist: [],
          },
        };
        await this.engine.withCompiled(versioned, async (compiled) => {
          if (!compiled.ruleset) {
            throw new Error(
              `the pack's files compile alone but not together: ${compiled.errors[0]?.message ?? 'unknown error'}`,
            );
          }
          const verdicts = await this.engine.scanAll(versioned, compiled.ruleset, corpus, {
            timeoutMs: this.config.builds.scanTimeoutMs,
            onScanned: (done) => progress('clean corpus', { files: corpus.length, scanned: done }),
          });
          for (const verdict of verdicts) {
            cpuMillis += verdict.cpuMillis;
            if (verdict.rules.length) filesHit++;
            for (const qualified of verdict.rules) {
              const split = qualified.lastIndexOf(':');
              const namespace = qualified.slice(0, split);
              const rule = qualified.slice(split + 1);
              const byRule = hits.get(namespace) ?? new Map<string, string[]>();
              hits.set(namespace, byRule);
              byRule.set(rule, [...(byRule.get(rule) ?? []), verdict.target.file]);
            }
          }
        });
      }
      for (const file of files) {
        const report = reports.get(file.position)!;
        if (report.compiled)
          report.rules = ruleReports(file.source, report.warnings, hits.get(file.namespace) ?? new Map());
      }

      const all = [...reports.values()];
      // the rules the pack would bring: those of the files that compile
      const rules = all.filter((r) => r.compiled).flatMap((r) => r.rules);
      const summary: PackSummary = {
        files: files.length,
        compiled: compiledFiles.length,
        failed: files.length - compiledFiles.length,
        rules: rules.length,
        flaggedRules: rules.filter((r) => r.flagged.length > 0).length,
        rulesWithCleanHits: rules.filter((r) => r.cleanHits > 0).length,
        skipped: pack.skipped.length,
        cleanCorpus: { files: corpus.length, bytes: sumOf(corpus.map((f) => f.size)), filesHit, cpuMillis },
        profile: { files: profileSample.length, bytes: sumOf(profileSample.map((f) => f.size)) },
        millis: Date.now() - started,
      };
      const written = await this.packs.finish(importId, { summary, files: reports });
      this.logger.log({ importId, ...summary, written }, 'rule pack analysed');
      return { status: written ? 'analysed' : ((await this.packs.find(importId))?.status ?? 'analysing') };
    } catch (error) {
      // a clean file the pack cannot scan in time, or an engine that died on it, ends the analysis: the report says so
      if (error instanceof ScanTimeoutError || (error instanceof ScanEngineError && error.crashed)) {
        const reason =
          error instanceof ScanTimeoutError
            ? `a clean-corpus file took more than ${Math.round(error.timeoutMs / 1000)} s to scan with the pack's rules`
            : `the rule engine crashed scanning the clean corpus with the pack's rules: ${error.message}`;
        await this.packs.finish(importId, { error: reason });
        this.logger.warn({ importId, reason }, 'rule pack analysis failed');
        return { status: 'failed' };
      }
      throw error;
    }
  }

  /** One file alone: does it compile (and what does the compiler say), and what does it cost to scan with. */
  private async analyseFile(
    file: RulePackFile,
    profileSample: ScanTarget[],
    spares: EnginePool,
    localFiles: ReturnType<SignatureEngine['localFiles']>,
  ): Promise<FileReport> {
    const outcome = await compileRuleset([{ name: file.namespace, source: file.source, namespace: file.namespace }], {
      engines: spares,
      scanThreads: this.config.builds.scanThreads,
    });
    const report: FileReport = {
      compiled: outcome.ok,
      errors: outcome.errors.slice(0, KEPT_DIAGNOSTICS),
      warnings: outcome.warnings.slice(0, KEPT_DIAGNOSTICS),
      compileMillis: Math.round(outcome.millis),
      rules: outcome.ok ? [] : ruleReports(file.source, [], new Map()),
      profile: null,
    };
    const ruleset = outcome.ruleset;
    if (!ruleset) return report;
    try {
      let cpuMillis = 0;
      let next = 0;
      const scanNext = async () => {
        while (next < profileSample.length) {
          const target = profileSample[next++];
          const path = await localFiles.get(target);
          const scan = await ruleset.scanFile(path, { timeoutMs: this.config.builds.scanTimeoutMs });
          cpuMillis += scan.cpuMillis;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, ruleset.scanThreads) }, scanNext));
      report.profile = { cpuMillis: Math.round(cpuMillis * 10) / 10, share: 0 };
    } catch (error) {
      if (!(error instanceof ScanTimeoutError)) throw error;
      const message = `a clean file took more than ${Math.round(error.timeoutMs / 1000)} s to scan with this file's rules`;
      report.warnings.push({ severity: 'warning', code: 'profile_timeout', message, detail: message });
    } finally {
      await ruleset.close();
    }
    return report;
  }
}

/** The smallest files first, up to `bytes` in all (at least one file). */
function sample<T extends { size: number }>(files: T[], bytes: number): T[] {
  const sorted = [...files].sort((a, b) => a.size - b.size);
  const chosen: T[] = [];
  let total = 0;
  for (const file of sorted) {
    if (chosen.length > 0 && total + file.size > bytes) break;
    chosen.push(file);
    total += file.size;
  }
  return chosen;
}

const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);
