import { Injectable } from '@nestjs/common';
import { CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { CompiledRuleset, Diagnostic, ScanEngineError, ScanTimeoutError } from '@sigdesk/detection';
import { StorageKeys } from '@sigdesk/storage';
import { allowlistedBy, ContentChange, SignatureContent, VersionedContent } from '../content/signature-content';
import { FileVerdict, ScanTarget, SignatureEngine } from '../signature-engine';
import { combineScans, ContentDelta, contentDelta, SCAN_PASS_PROBE } from './content-delta';
import type { CheckName, CheckResult, DiffEntry, Evidence, ProofReport } from './proof-report';

export type { CheckName, CheckResult, DiffEntry, Evidence, ProofReport };
import { SignaturesRepository } from '../signatures.repository';

export interface ProofInput {
  parent: VersionedContent;
  candidate: SignatureContent;
  /** the changes that make the candidate from the parent, in the order they were applied */
  changes: readonly ContentChange[];
  progress: (stage: string, extra?: Record<string, unknown>) => Promise<void>;
  now?: Date;
}

/** A candidate may make the clean corpus this much slower to scan, plus a small fixed slack against noise. */
export const SCAN_TIME_BUDGET_RATIO = 1.5;
export const SCAN_TIME_SLACK_MS = 50;
const DIFF_LIMIT = 1_000;

class ProofStopped extends Error {
  constructor(readonly check: CheckResult) {
    super(check.summary);
  }
}

/**
 * The one proof that a change, or a build's set of changes, may ship: the candidate (the parent version's content
 * with the changes applied) compiles without new warnings; it fixes each change's case; it detects nothing in the
 * clean corpus; everything the parent detects in the regression collection stays detected unless a change
 * suppresses it explicitly; and the clean corpus scans within the time budget. Validation and builds both run it,
 * with the same checks, budgets and timeouts, and report the detection diff between parent and candidate.
 */
@Injectable()
export class ContentProver {
  constructor(
    private readonly config: AppConfig,
    private readonly engine: SignatureEngine,
    private readonly signatures: SignaturesRepository,
    private readonly cases: CasesRepository,
  ) {}

  async prove(input: ProofInput): Promise<ProofReport> {
    const started = Date.now();
    const candidate: VersionedContent = { channel: input.parent.channel, version: null, content: input.candidate };
    await input.progress('compiling', { rules: input.candidate.rules.length });
    const checks: CheckResult[] = [];
    const diff: DiffEntry[] = [];
    let guilty: string[] = [];
    // rules, not entries: an imported pack's file is one entry of many rules
    let ruleCount = input.candidate.rules.length;
    const finish = (): ProofReport => {
      const passed = checks.length > 0 && checks.every((c) => c.passed);
      return {
        passed,
        parentVersion: input.parent.version,
        checks,
        diff: diff.slice(0, DIFF_LIMIT),
        diffCount: diff.length,
        guilty: passed ? [] : guilty.length ? guilty : input.changes.map((c) => c.id),
        rules: ruleCount,
        millis: Date.now() - started,
      };
    };

    await this.engine.withCompiled(input.parent, (parentCompiled) =>
      this.engine.withCompiled(candidate, async (compiled) => {
        ruleCount = compiled.ruleNames.length;
        checks.push({
          check: 'compiles',
          passed: compiled.ok,
          summary: compiled.ok
            ? `${compiled.ruleNames.length} rules compile in ${Math.round(compiled.millis)} ms`
            : `${compiled.errors.length} compiler error(s)`,
          ...(compiled.ok ? {} : { diagnostics: compiled.errors }),
        });
        if (!compiled.ok) {
          guilty = input.changes
            .filter((c) => compiled.errors.some((e) => e.source !== undefined && sourcesOf(c).has(e.source)))
            .map((c) => c.id);
        }
        const known = new Set(parentCompiled.warnings.map(warningKey));
        // an imported pack's warnings were in the report of its analysis, which its admin accepted: listed, not failed
        const imported = new Set(input.changes.flatMap((c) => (c.sources ?? []).map((f) => f.namespace)));
        const fresh = compiled.warnings.filter((w) => !known.has(warningKey(w)));
        const newWarnings = fresh.filter((w) => w.source === undefined || !imported.has(w.source));
        const packWarnings = fresh.length - newWarnings.length;
        checks.push({
          check: 'no_new_warnings',
          passed: newWarnings.length === 0,
          summary:
            (newWarnings.length ? `${newWarnings.length} new compiler warning(s)` : 'no new compiler warnings') +
            (packWarnings ? ` (and ${packWarnings} of imported pack files, accepted with their import's report)` : ''),
          ...(fresh.length
            ? { diagnostics: [...newWarnings, ...fresh.filter((w) => !newWarnings.includes(w)).slice(0, 50)] }
            : {}),
        });
        if (!compiled.ruleset) return;
        if (!parentCompiled.ruleset) {
          checks.push({
            check: 'compiles',
            passed: false,
            summary: `the parent version ${input.parent.version ?? '(base ruleset)'} does not compile: nothing can be compared with it`,
            diagnostics: parentCompiled.errors.slice(0, 20),
          });
          return;
        }
        try {
          guilty = await this.scanChecks(input, candidate, compiled.ruleset, parentCompiled.ruleset, checks, diff);
        } catch (error) {
          if (!(error instanceof ProofStopped)) throw error;
          checks.push(error.check);
          guilty = withRules(input.changes);
        }
      }),
    );
    return finish();
  }

  /** The scan checks, in order; returns the changes to blame for the first failure. */
  private async scanChecks(
    input: ProofInput,
    candidate: VersionedContent,
    next: CompiledRuleset,
    parent: CompiledRuleset,
    checks: CheckResult[],
    diff: DiffEntry[],
  ): Promise<string[]> {
    const guilty = new Set<string>();
    const blame = (ids: string[]) => ids.forEach((id) => guilty.add(id));
    const now = input.now ?? new Date();
    // see config.builds.deltaProofs: off, every proof scans the candidate as it will ship
    const delta: ContentDelta = this.config.builds.deltaProofs
      ? contentDelta(input.parent.content.rules, input.candidate.rules)
      : { scan: 'full', reason: 'proofs with the changed rules alone are off' };
    const both = (targets: ScanTarget[], onScanned?: (done: number) => Promise<void>) =>
      this.scanBoth(input.parent, candidate, parent, next, delta, targets, now, onScanned);
    const allowlisted = allowlistedBy(input.changes);
    // a rule names its change: an analyst's by its name, an imported one by its namespace (`namespace:rule`)
    const ruleChanges = new Map(input.changes.flatMap((c) => [...sourcesOf(c)].map((name) => [name, c.id] as const)));
    const blameRules = (rules: string[]) => {
      const named = rules.flatMap((r) => {
        const id = ruleChanges.get(r) ?? ruleChanges.get(r.slice(0, Math.max(0, r.lastIndexOf(':'))));
        return id ? [id] : [];
      });
      blame(named.length ? named : withRules(input.changes));
    };

    // each change's own case (an import has none)
    const caseTargets: Array<{ target: ScanTarget; changeId: string; shouldDetect: boolean }> = [];
    const withCases = input.changes.filter((c) => c.case_id !== null);
    for (const change of withCases) {
      if (change.case_id === null) continue;
      const found = await this.cases.findById(change.case_id);
      for (const sample of await this.cases.samplesOf(change.case_id)) {
        caseTargets.push({
          target: {
            file: `${found?.reference ?? change.case_id}:${sample.archive_path ?? sample.file_name}`,
            sha256: sample.sha256,
            storageKey: StorageKeys.sample(sample.sha256),
            name: sample.archive_path ?? sample.file_name,
            type: sample.type,
          },
          changeId: change.id,
          shouldDetect: found?.kind === 'false_negative',
        });
      }
    }
    await input.progress('case samples', { files: caseTargets.length });
    const caseScans = await both(caseTargets.map((t) => t.target));
    const wrong = caseScans.filter(({ after }, i) => after.detected !== caseTargets[i].shouldDetect);
    for (const [i, { before, after }] of caseScans.entries()) {
      if (before.detected !== after.detected) diff.push(diffEntry('case', before, after, true));
      if (after.detected !== caseTargets[i].shouldDetect) blame([caseTargets[i].changeId]);
    }
    const fnCount = caseTargets.filter((t) => t.shouldDetect).length;
    if (withCases.length > 0)
      checks.push({
        check: 'fixes_case',
        passed: wrong.length === 0 && caseTargets.length > 0,
        summary:
          caseTargets.length === 0
            ? 'the case has no sample to prove the change on'
            : `${caseTargets.length - wrong.length} of ${caseTargets.length} case sample(s) handled` +
              ` (${fnCount} to detect, ${caseTargets.length - fnCount} to stop detecting)`,
        evidence: caseScans.map(({ after }) => evidence(after)),
      });

    // the clean corpus, side by side: also the scan-time budget
    const corpus = (await this.signatures.corpusFiles()).map((f) => ({
      file: f.name,
      sha256: f.sha256,
      storageKey: f.storageKey,
      name: f.name,
    }));
    await input.progress('clean corpus', { files: corpus.length, scanned: 0 });
    const corpusScans = await both(corpus, (done) =>
      input.progress('clean corpus', { files: corpus.length, scanned: done }),
    );
    const hits = corpusScans.filter(({ after }) => after.detected);
    for (const { before, after } of corpusScans) {
      if (before.detected !== after.detected) diff.push(diffEntry('clean_corpus', before, after, !after.detected));
    }
    for (const { after } of hits) blameRules(after.rules);
    checks.push({
      check: 'clean_corpus',
      passed: hits.length === 0,
      summary: hits.length
        ? `${hits.length} of ${corpus.length} clean file(s) detected`
        : `none of ${corpus.length} clean file(s) detected`,
      evidence: hits.slice(0, 100).map(({ after }) => evidence(after)),
    });

    // processor time, not wall time: the two rulesets scan side by side and compete with everything else running
    const withMs = Math.round(sum(corpusScans.map((s) => s.after.cpuMillis)));
    const withoutMs = Math.round(sum(corpusScans.map((s) => s.before.cpuMillis)));
    // an imported pack brings its cost on purpose: the budget allows for what its analysis measured
    const importAllowanceMs = Math.round(sum(input.changes.map((c) => c.packCostMs ?? 0)));
    const budgetMs = Math.round((withoutMs + importAllowanceMs) * SCAN_TIME_BUDGET_RATIO + SCAN_TIME_SLACK_MS);
    if (withMs > budgetMs) blame(withRules(input.changes));
    const remembered = corpusScans.filter((s) => s.after.remembered).length;
    const derived = corpusScans.filter((s) => s.after.derived).length;
    const deltaRules = derived && delta.scan === 'delta' ? delta.added.length : 0;
    checks.push({
      check: 'scan_time_budget',
      passed: withMs <= budgetMs,
      summary:
        `clean corpus scanned in ${withMs} ms of processor time with the change(s), ${withoutMs} ms without ` +
        `(budget ${budgetMs} ms${importAllowanceMs ? `, allowing ${importAllowanceMs} ms for imported packs` : ''})` +
        (remembered
          ? `; ${remembered} of ${corpus.length} file(s) as measured by an earlier scan of the same rules`
          : '') +
        (derived
          ? `; ${derived} file(s) timed as the parent's scan plus what the ${deltaRules} changed rule(s) cost alone`
          : ''),
      figures: {
        rememberedFiles: remembered,
        deltaFiles: derived,
        deltaRules,
        withMs,
        withoutMs,
        importAllowanceMs,
        budgetMs,
        wallWithMs: Math.round(sum(corpusScans.map((s) => s.after.millis))),
        wallWithoutMs: Math.round(sum(corpusScans.map((s) => s.before.millis))),
      },
    });

    // the regression collection: what the parent detects stays detected, unless a change allow-lists it explicitly
    // the changes' own samples were proven above, as the case's
    const caseFiles = new Set(caseTargets.map((t) => t.target.sha256));
    const regression = (await this.signatures.regressionCollection(input.parent.content)).filter(
      (t) => !caseFiles.has(t.sha256),
    );
    await input.progress('regression', { files: regression.length, scanned: 0 });
    const regressionScans = await both(regression, (done) =>
      input.progress('regression', { files: regression.length, scanned: done }),
    );
    const lost: FileVerdict[] = [];
    let parentDetected = 0;
    for (const { before, after } of regressionScans) {
      if (before.detected) parentDetected++;
      if (before.detected === after.detected) continue;
      // only an allow-listed SHA-256 names a known-bad file explicitly: disabling or replacing a rule must keep the
      // known malware it detects detected (by a narrower replacement, or by other rules)
      const excused = allowlisted.has(before.target.sha256);
      diff.push(diffEntry('regression', before, after, excused || after.detected));
      if (before.detected && !after.detected && !excused) lost.push(before);
    }
    if (lost.length) blame(withRules(input.changes));
    checks.push({
      check: 'regression',
      passed: lost.length === 0,
      summary: lost.length
        ? `${lost.length} of ${parentDetected} file(s) the parent version detects would no longer be detected`
        : `all ${parentDetected} of ${regression.length} regression file(s) the parent version detects stay detected`,
      evidence: lost.slice(0, 100).map(evidence),
    });

    return [...guilty];
  }

  /**
   * Scans each target with the parent and the candidate side by side (two engine processes, two cores). When the
   * delta allows it, the candidate's verdicts are made from the parent's and a scan with the changed rules alone
   * (see deltaScans): `derived` says which.
   */
  private async scanBoth(
    parentContent: VersionedContent,
    candidateContent: VersionedContent,
    parent: CompiledRuleset,
    candidate: CompiledRuleset,
    delta: ContentDelta,
    targets: ScanTarget[],
    now: Date,
    onScanned?: (done: number) => Promise<void>,
  ): Promise<Array<{ before: FileVerdict; after: FileVerdict & { derived: boolean } }>> {
    const options = { timeoutMs: this.config.builds.scanTimeoutMs, now, files: this.engine.localFiles() };
    const fullScans = async () =>
      (await this.engine.scanAll(candidateContent, candidate, targets, { ...options, onScanned })).map((verdict) => ({
        ...verdict,
        derived: false,
      }));
    try {
      const before = this.engine.scanAll(parentContent, parent, targets, options);
      const after =
        delta.scan === 'delta'
          ? this.deltaScans(delta, candidateContent, before, targets, { ...options, onScanned }, fullScans)
          : fullScans();
      const [parentVerdicts, candidateVerdicts] = await Promise.all([before, after]);
      return parentVerdicts.map((b, i) => ({ before: b, after: candidateVerdicts[i] }));
    } catch (error) {
      if (error instanceof ScanTimeoutError) {
        throw new ProofStopped({
          check: 'scan_time_budget',
          passed: false,
          summary: `scan budget exceeded: a file took more than ${Math.round(error.timeoutMs / 1000)} s to scan`,
          figures: { timeoutMs: error.timeoutMs },
        });
      }
      // an engine that died on its own may have met a hostile rule; one closed (the process is stopping) has not,
      // and the job is retried
      if (error instanceof ScanEngineError && error.crashed) {
        throw new ProofStopped({ check: 'engine', passed: false, summary: `engine crashed: ${error.message}` });
      }
      throw error;
    }
  }

  /**
   * The candidate's verdicts from the parent's (`before`) and a scan with the added rules compiled alone: a file's
   * scan is the parent's without the dropped rules' matches, plus the added rules' (combineScans, which times it
   * with the SCAN_PASS_PROBE's scan of the file), and is remembered under the candidate's rules. Added rules that do
   * not compile alone (they name a rule of the parent) are scanned as part of the whole candidate (`fullScans`).
   */
  private deltaScans(
    delta: Extract<ContentDelta, { scan: 'delta' }>,
    candidateContent: VersionedContent,
    before: Promise<FileVerdict[]>,
    targets: ScanTarget[],
    options: Parameters<SignatureEngine['scanAll']>[3] & { now: Date },
    fullScans: () => Promise<Array<FileVerdict & { derived: boolean }>>,
  ): Promise<Array<FileVerdict & { derived: boolean }>> {
    const combined = async (pending: number[], added: Array<{ scan: FileVerdict; pass: FileVerdict } | null>) => {
      const parentVerdicts = await before;
      return pending.map((index, n) => {
        const [parentScan, addedScan] = [parentVerdicts[index], added[n]];
        const scan = combineScans(parentScan, addedScan, delta.dropped);
        // the whole candidate would have scanned the file for about as long as its parts together
        if (scan.millis > options.timeoutMs) throw new ScanTimeoutError(options.timeoutMs);
        const remembered =
          parentScan.remembered && (!addedScan || (addedScan.scan.remembered && addedScan.pass.remembered));
        return { ...scan, remembered };
      });
    };
    if (delta.added.length === 0) {
      // rules removed only: the parent's scans without their matches
      return this.engine.derivedScans(
        candidateContent,
        targets,
        (pending) =>
          combined(
            pending,
            pending.map(() => null),
          ),
        options,
      );
    }
    const only = (rules: typeof delta.added): VersionedContent => ({
      channel: candidateContent.channel,
      version: null,
      content: { rules, allowlist: [] },
    });
    const [added, probe] = [only(delta.added), only([SCAN_PASS_PROBE])];
    return this.engine.withCompiled(added, (compiled) => {
      if (!compiled.ruleset) return fullScans();
      const ruleset = compiled.ruleset;
      return this.engine.withCompiled(probe, async (pass) => {
        if (!pass.ruleset) throw new Error(`the scan pass probe does not compile: ${pass.errors[0]?.message}`);
        const passRuleset = pass.ruleset;
        return this.engine.derivedScans(
          candidateContent,
          targets,
          async (pending) => {
            const files = pending.map((index) => targets[index]);
            const progress = options.onScanned;
            const [scans, passes] = await Promise.all([
              this.engine.scanAll(added, ruleset, files, {
                ...options,
                onScanned: progress && ((done) => progress(targets.length - pending.length + done)),
              }),
              this.engine.scanAll(probe, passRuleset, files, { ...options, onScanned: undefined }),
            ]);
            return combined(
              pending,
              scans.map((scan, n) => ({ scan, pass: passes[n] })),
            );
          },
          options,
        );
      });
    });
  }
}

/** The changes that bring rule text: the ones to blame when a failure names no rule of its own. */
function withRules(changes: readonly ContentChange[]): string[] {
  return changes.filter((c) => c.rule_source || c.sources?.length).map((c) => c.id);
}

/** The sources a change brings, as diagnostics name them: its rule's name, or its pack files' namespaces. */
function sourcesOf(change: ContentChange): Set<string> {
  return new Set([...(change.rule_name ? [change.rule_name] : []), ...(change.sources ?? []).map((f) => f.namespace)]);
}

function diffEntry(
  collection: DiffEntry['collection'],
  before: FileVerdict,
  after: FileVerdict,
  intended: boolean,
): DiffEntry {
  return {
    file: before.target.file,
    sha256: before.target.sha256,
    collection,
    before: { detected: before.detected, rules: before.rules },
    after: { detected: after.detected, rules: after.rules },
    intended,
  };
}

function evidence(verdict: FileVerdict): Evidence {
  return {
    file: verdict.target.file,
    sha256: verdict.target.sha256,
    rules: verdict.rules.map((rule) => ({ rule, offsets: verdict.offsets[rule] ?? [] })),
    ...(verdict.allowlisted ? { allowlisted: true } : {}),
  };
}

function warningKey(w: Diagnostic): string {
  return `${w.code}|${w.source ?? ''}|${w.message}`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
