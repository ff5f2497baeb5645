import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { CasesRepository } from '@sigdesk/cases';
import { CompiledRuleset, compileRuleset, decideDetection, Diagnostic } from '@sigdesk/detection';
import type { SignatureChange } from '@sigdesk/db';
import { StorageKeys } from '@sigdesk/storage';
import { applyChange } from './change-content';
import { SignatureEngine, toSource } from './signature-engine';
import { SignaturesRepository } from './signatures.repository';

export interface Evidence {
  file: string;
  sha256: string;
  rules: Array<{ rule: string; offsets: number[] }>;
  allowlisted?: boolean;
}

export interface CheckResult {
  check: 'compiles' | 'no_new_warnings' | 'fixes_case' | 'clean_corpus' | 'regression' | 'scan_time_budget';
  passed: boolean;
  summary: string;
  evidence?: Evidence[];
  diagnostics?: Diagnostic[];
  figures?: Record<string, number>;
}

/** A change may make the clean corpus this much slower to scan (plus a small fixed slack against noise). */
export const SCAN_TIME_BUDGET_RATIO = 1.5;
const SCAN_TIME_SLACK_MS = 50;
const SCAN_TIMEOUT_MS = 60_000;

interface ScanTarget {
  file: string;
  sha256: string;
  storageKey: string;
}

/**
 * Proves a signature change before anyone approves it: the whole ruleset with the change compiles without new
 * warnings; it fixes the case's samples (detects a false negative, stops detecting a false positive); it
 * detects nothing in the clean corpus; it un-detects no earlier confirmed false negative; and it keeps the
 * corpus scan within its time budget. Every check reports its evidence.
 */
@Injectable()
export class ChangeValidator {
  private readonly logger = new Logger(ChangeValidator.name);

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly cases: CasesRepository,
    private readonly engine: SignatureEngine,
  ) {}

  async validate(
    changeId: string,
    reportProgress: (progress: Record<string, unknown>) => Promise<void> = async () => undefined,
  ): Promise<{ status: string }> {
    const change = await this.signatures.findChange(changeId);
    if (!change) throw new UnrecoverableError(`signature change ${changeId} does not exist`);
    if (change.status !== 'validating') return { status: change.status };
    const progress = async (stage: string, extra: Record<string, unknown> = {}) => {
      const value = { stage, ...extra };
      await this.signatures.setProgress(changeId, value);
      await reportProgress(value);
    };

    const started = Date.now();
    await progress('compiling');
    const state = await this.engine.current();
    const base = { sources: state.rules.map(toSource), allowlist: state.allowlist };
    const candidate = applyChange(base, change);
    const compiled = await compileRuleset(candidate.sources);
    const checks: CheckResult[] = [];
    checks.push({
      check: 'compiles',
      passed: compiled.ok,
      summary: compiled.ok
        ? `${compiled.ruleNames.length} rules compile in ${compiled.millis} ms`
        : `${compiled.errors.length} compiler error(s)`,
      ...(compiled.ok ? {} : { diagnostics: compiled.errors }),
    });
    const baselineWarnings = new Set(state.compiled.warnings.map(warningKey));
    const newWarnings = compiled.warnings.filter((w) => !baselineWarnings.has(warningKey(w)));
    checks.push({
      check: 'no_new_warnings',
      passed: newWarnings.length === 0,
      summary: newWarnings.length ? `${newWarnings.length} new compiler warning(s)` : 'no new compiler warnings',
      ...(newWarnings.length ? { diagnostics: newWarnings } : {}),
    });

    try {
      if (compiled.ok && compiled.ruleset && state.compiled.ruleset) {
        await this.scanChecks(
          change,
          compiled.ruleset,
          state.compiled.ruleset,
          candidate.allowlist,
          state.allowlist,
          checks,
          progress,
        );
      }
    } finally {
      // the candidate's scan thread holds a whole compiled ruleset
      await compiled.ruleset?.close();
    }

    const passed = checks.every((c) => c.passed);
    const report = { passed, checks, millis: Date.now() - started, validatedRules: compiled.ruleNames.length };
    const recorded = await this.signatures.finishValidation(changeId, passed, report, new Date());
    this.logger.log({ changeId, passed, recorded, millis: report.millis }, 'signature change validated');
    return { status: passed ? 'validated' : 'validation_failed' };
  }

  private async scanChecks(
    change: SignatureChange,
    candidate: CompiledRuleset,
    baseline: CompiledRuleset,
    candidateAllowlist: Set<string>,
    baselineAllowlist: Set<string>,
    checks: CheckResult[],
    progress: (stage: string, extra?: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    // both rulesets are built in their scan threads at once rather than on their first scans, one after the other
    await Promise.all([candidate.ready(), baseline.ready()]);
    const found = await this.cases.findById(change.case_id);
    const caseSamples: ScanTarget[] = (await this.cases.samplesOf(change.case_id)).map((s) => ({
      file: s.archive_path ?? s.file_name,
      sha256: s.sha256,
      storageKey: StorageKeys.sample(s.sha256),
    }));
    await progress('case samples', { files: caseSamples.length });
    const caseResults = await this.scanAll(candidate, candidateAllowlist, caseSamples);
    const falseNegative = found?.kind === 'false_negative';
    const wrong = caseResults.filter((r) => r.detected !== falseNegative);
    checks.push({
      check: 'fixes_case',
      passed: wrong.length === 0 && caseResults.length > 0,
      summary: falseNegative
        ? `${caseResults.length - wrong.length} of ${caseResults.length} sample(s) of the false negative detected`
        : `${caseResults.length - wrong.length} of ${caseResults.length} sample(s) of the false positive no longer detected`,
      evidence: caseResults.map((r) => r.evidence),
    });

    const corpus = (await this.signatures.corpusFiles()).map((f) => ({
      file: f.name,
      sha256: f.sha256,
      storageKey: f.storageKey,
    }));
    await progress('clean corpus', { files: corpus.length, bytes: 0 });
    // with and without the change side by side: each ruleset scans on a thread of its own, so both cores work
    const [corpusWith, corpusWithout] = await Promise.all([
      this.scanAll(candidate, candidateAllowlist, corpus, (done) =>
        progress('clean corpus', { files: corpus.length, scanned: done }),
      ),
      this.scanAll(baseline, baselineAllowlist, corpus),
    ]);
    const hits = corpusWith.filter((r) => r.detected);
    checks.push({
      check: 'clean_corpus',
      passed: hits.length === 0,
      summary: hits.length
        ? `${hits.length} clean file(s) detected`
        : `none of ${corpus.length} clean file(s) detected`,
      evidence: hits.map((r) => r.evidence),
    });

    const withMs = sum(corpusWith.map((r) => r.millis));
    const withoutMs = sum(corpusWithout.map((r) => r.millis));
    const budgetMs = withoutMs * SCAN_TIME_BUDGET_RATIO + SCAN_TIME_SLACK_MS;
    checks.push({
      check: 'scan_time_budget',
      passed: withMs <= budgetMs,
      summary: `clean corpus scanned in ${withMs} ms with the change, ${withoutMs} ms without (budget ${Math.round(budgetMs)} ms)`,
      figures: { withMs, withoutMs, budgetMs: Math.round(budgetMs) },
    });

    const regression = (await this.signatures.regressionSamples(change.case_id)).map((s) => ({
      file: `${s.reference}:${s.sha256.slice(0, 12)}`,
      sha256: s.sha256,
      storageKey: StorageKeys.sample(s.sha256),
    }));
    await progress('regression', { files: regression.length });
    const before = await this.scanAll(baseline, baselineAllowlist, regression);
    const after = await this.scanAll(candidate, candidateAllowlist, regression);
    const lost = after.filter((r, i) => before[i].detected && !r.detected);
    checks.push({
      check: 'regression',
      passed: lost.length === 0,
      summary: lost.length
        ? `${lost.length} sample(s) of earlier confirmed false negatives would no longer be detected`
        : `all ${before.filter((r) => r.detected).length} detected sample(s) of earlier false negatives stay detected`,
      evidence: lost.map((r) => r.evidence),
    });
  }

  private async scanAll(
    ruleset: CompiledRuleset,
    allowlist: Set<string>,
    targets: ScanTarget[],
    onProgress?: (done: number) => Promise<void>,
  ) {
    const results = [];
    for (const [index, target] of targets.entries()) {
      const path = await this.engine.localCopy(target.storageKey, target.sha256);
      const scan = await ruleset.scanFile(path, { timeoutMs: SCAN_TIMEOUT_MS });
      const decision = decideDetection(target.sha256, scan, allowlist);
      results.push({
        detected: decision.detected,
        millis: scan.millis,
        evidence: {
          file: target.file,
          sha256: target.sha256,
          rules: scan.matches.map((m) => ({ rule: m.rule, offsets: m.patterns.map((p) => p.offset).slice(0, 10) })),
          ...(decision.allowlisted ? { allowlisted: true } : {}),
        },
      });
      if (onProgress && (index + 1) % 50 === 0) await onProgress(index + 1);
    }
    return results;
  }
}

function warningKey(w: Diagnostic): string {
  return `${w.code}|${w.source ?? ''}|${w.line ?? ''}`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
