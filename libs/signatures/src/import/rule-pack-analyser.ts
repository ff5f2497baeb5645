import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sigdesk/config';
import { compileRuleset, Diagnostic, profileUnits, ScanEngineError, ScanTimeoutError } from '@sigdesk/detection';
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
    const revisionOf = (f: RulePackFile) =>
      packRevision(
        {
          namespace: f.namespace,
          path: f.path,
          source: f.source,
          provenance: { pack: pack.pack_name, file: f.path, importId },
        },
        null,
      );
    const contentOf = (chosen: RulePackFile[]): VersionedContent => ({
      channel: pack.channel,
      version: null,
      content: { rules: chosen.map(revisionOf), allowlist: [] },
    });

    try {
      // 1: the files compiled together, each in its namespace: the compiler's errors and warnings name their file;
      // the files without errors are compiled together again until they all compile (a file alone when an error
      // names none)
      await progress('compiling', { files: files.length });
      let remaining = files;
      let compileMillis = 0;
      let warnings: Diagnostic[] = [];
      for (let round = 0; remaining.length > 0; round++) {
        const alone = round >= 3;
        const outcome = alone
          ? await this.compileAlone(remaining)
          : await this.engine.withCompiled(contentOf(remaining), async (compiled) => ({
              ok: compiled.ok,
              errors: compiled.errors,
              warnings: compiled.warnings,
              millis: compiled.millis,
            }));
        compileMillis += outcome.millis;
        if (outcome.ok) {
          warnings = outcome.warnings;
          break;
        }
        const named = new Set(outcome.errors.flatMap((e) => (e.source === undefined ? [] : [e.source])));
        const failing = remaining.filter((f) => named.has(f.namespace));
        for (const file of failing) {
          reports.set(file.position, {
            ...emptyReport(false),
            errors: outcome.errors.filter((e) => e.source === file.namespace).slice(0, KEPT_DIAGNOSTICS),
            warnings: outcome.warnings.filter((w) => w.source === file.namespace).slice(0, KEPT_DIAGNOSTICS),
            rules: ruleReports(file.source, [], new Map()),
          });
        }
        // an error that names no file: each file alone says which
        if (failing.length === 0) round = 2;
        remaining = remaining.filter((f) => !named.has(f.namespace));
      }
      const compiledFiles = remaining;
      for (const file of compiledFiles) {
        reports.set(file.position, {
          ...emptyReport(true),
          warnings: warnings.filter((w) => w.source === file.namespace),
        });
      }

      // 2: the profiling pass, each compiling file's rules alone over the sample
      if (compiledFiles.length > 0 && profileSample.length > 0) {
        const localFiles = this.engine.localFiles();
        const paths = await Promise.all(
          profileSample.map(async (target) => ({ ...target, path: await localFiles.get(target) })),
        );
        let profiled = 0;
        await progress('profiling', { files: compiledFiles.length, done: 0 });
        const profiles = await profileUnits(
          compiledFiles.map((f) => ({ namespace: f.namespace, source: f.source })),
          paths,
          {
            scanTimeoutMs: this.config.builds.scanTimeoutMs,
            onUnit: () => {
              profiled += 1;
              if (profiled % 25 === 0) void progress('profiling', { files: compiledFiles.length, done: profiled });
            },
          },
        );
        for (const profile of profiles) {
          const report = reports.get(compiledFiles[profile.index].position)!;
          if ('cpuMillis' in profile) report.profile = { cpuMillis: Math.round(profile.cpuMillis * 10) / 10, share: 0 };
          else {
            const message =
              profile.error === 'timeout'
                ? `a clean file took more than ${Math.round(this.config.builds.scanTimeoutMs / 1000)} s to scan with this file's rules`
                : `this file's rules could not be profiled: ${profile.detail}`;
            report.warnings.push({ severity: 'warning', code: `profile_${profile.error}`, message, detail: message });
          }
        }
      }
      const totalProfile = [...reports.values()].reduce((sum, r) => sum + (r.profile?.cpuMillis ?? 0), 0);
      for (const report of reports.values()) {
        if (report.profile) report.profile.share = totalProfile > 0 ? report.profile.cpuMillis / totalProfile : 0;
      }

      // 3: the clean corpus with every file that compiles, as the pack would run (compiled once, in step 1)
      const hits = new Map<string, Map<string, string[]>>();
      let filesHit = 0;
      let cpuMillis = 0;
      if (compiledFiles.length > 0 && corpus.length > 0) {
        await progress('clean corpus', { files: corpus.length, scanned: 0 });
        const versioned = contentOf(compiledFiles);
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
        compileMillis: Math.round(compileMillis),
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

  /** Each file compiled alone: what an error that names no file leaves to find out. */
  private async compileAlone(files: RulePackFile[]) {
    const errors: Diagnostic[] = [];
    const warnings: Diagnostic[] = [];
    let millis = 0;
    for (const file of files) {
      const outcome = await compileRuleset([{ name: file.namespace, source: file.source, namespace: file.namespace }]);
      await outcome.ruleset?.close();
      millis += outcome.millis;
      errors.push(...outcome.errors.map((e) => ({ ...e, source: file.namespace })));
      warnings.push(...outcome.warnings.map((w) => ({ ...w, source: file.namespace })));
    }
    return { ok: errors.length === 0, errors, warnings, millis };
  }
}

function emptyReport(compiled: boolean): FileReport {
  return { compiled, errors: [], warnings: [], rules: [], profile: null };
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
