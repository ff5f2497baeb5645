import { Injectable, Logger } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { CaseTransitions, CasesRepository } from '@sigdesk/cases';
import { CompiledRuleset, compileRuleset, decideDetection } from '@sigdesk/detection';
import type { DatabaseBuild, DB, SignatureChange } from '@sigdesk/db';
import { JobName, JobQueueService } from '@sigdesk/queues';
import {
  applyChange,
  SCAN_TIME_BUDGET_RATIO,
  SignatureContent,
  SignatureEngine,
  SignaturesRepository,
  toSource,
} from '@sigdesk/signatures';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import {
  ARTIFACT_FILES,
  computeDelta,
  DatabaseContent,
  Manifest,
  manifestBytes,
  renderContent,
  sha256Hex,
  signManifest,
} from './artifact';
import { BuildsRepository } from './builds.repository';
import { SigningKeys } from './signing-keys';

export const BuildKeys = {
  prefix: (channel: string, version: number) => `builds/${channel}/${version}/`,
  file: (channel: string, version: number, name: string) => `builds/${channel}/${version}/${name}`,
};

interface GateFailure {
  gate: 'compiles' | 'false_negatives_detected' | 'false_positives_not_detected' | 'clean_corpus' | 'scan_time_budget';
  changeIds: string[];
  detail: string;
  evidence?: unknown;
}

const SCAN_TIMEOUT_MS = 120_000;

/**
 * Builds version N of a channel: N−1's content plus the approved changes not yet built, proven by the gates,
 * signed, stored. The version is taken (and kept) before any work, so a failed or interrupted build never
 * gives its number to another; an interrupted build is resumed with the same number by the job's retry.
 */
@Injectable()
export class DatabaseBuilder {
  private readonly logger = new Logger(DatabaseBuilder.name);

  constructor(
    private readonly builds: BuildsRepository,
    private readonly signatures: SignaturesRepository,
    private readonly engine: SignatureEngine,
    private readonly cases: CasesRepository,
    private readonly transitions: CaseTransitions,
    private readonly store: ObjectStore,
    private readonly keys: SigningKeys,
    private readonly jobs: JobQueueService,
  ) {}

  async build(
    channel: string,
    kind: 'expedited' | 'scheduled',
    reportProgress: (progress: Record<string, unknown>) => Promise<void> = async () => undefined,
  ): Promise<{ version?: number; status: string }> {
    const build = await this.start(channel, kind);
    if (!build) return { status: 'nothing to build' };
    const stage = async (name: string, extra: Record<string, unknown> = {}) => {
      const progress = { stage: name, version: build.version, ...extra };
      await this.builds.update(this.db(), build.id, { stage: name, progress: JSON.stringify(progress) });
      await reportProgress(progress);
      this.logger.log(progress, 'build progress');
    };

    const changes = await this.builds.changesByIds(build.change_ids);
    await stage('content', { changes: changes.length });
    const state = await this.engine.current();
    const parent: SignatureContent = { sources: state.rules.map(toSource), allowlist: state.allowlist };
    const next = changes.reduce<SignatureContent>((content, change) => applyChange(content, change), parent);

    await stage('compile', { rules: next.sources.length });
    const compiled = await compileRuleset(next.sources);
    let failure: GateFailure | null;
    try {
      failure =
        compiled.ok && compiled.ruleset && state.compiled.ruleset
          ? await this.gates(
              build,
              changes,
              compiled.ruleset,
              state.compiled.ruleset,
              next.allowlist,
              parent.allowlist,
              stage,
            )
          : {
              gate: 'compiles' as const,
              changeIds: changes.filter((c) => compiled.errors.some((e) => e.source === c.rule_name)).map((c) => c.id),
              detail: `${compiled.errors.length} compiler error(s)`,
              evidence: compiled.errors.slice(0, 20),
            };
    } finally {
      await compiled.ruleset?.close();
    }
    if (failure) return this.fail(build, changes, failure);

    await stage('artifact');
    const parentContent = contentOf(parent);
    const nextContent = contentOf(next);
    const files = renderContent(nextContent);
    const delta = Buffer.from(
      `${JSON.stringify(computeDelta(parentContent, nextContent, build.parent_version, build.version), null, 2)}\n`,
    );
    const payload: Record<string, Buffer> = {
      [ARTIFACT_FILES.rules]: files.rules,
      [ARTIFACT_FILES.allowlist]: files.allowlist,
      [ARTIFACT_FILES.delta]: delta,
    };
    const caseRefs = await Promise.all(
      changes.map(async (c) => (await this.cases.findById(c.case_id))?.reference ?? c.case_id),
    );
    const manifest: Manifest = {
      format: 'sigdesk-database/1',
      channel,
      version: build.version,
      parentVersion: build.parent_version,
      kind: build.kind,
      // the start time, not now: a resumed build writes the same bytes again
      builtAt: build.started_at.toISOString(),
      changes: changes.map((c) => c.id),
      cases: [...new Set(caseRefs)],
      ruleCount: nextContent.rules.length,
      allowlistCount: nextContent.allowlist.length,
      files: Object.entries(payload).map(([name, bytes]) => ({ name, sha256: sha256Hex(bytes), size: bytes.length })),
    };
    const bytes = manifestBytes(manifest);
    const signature = signManifest(bytes, this.keys.privateKey());
    for (const [name, body] of Object.entries(payload))
      await this.store.put(BuildKeys.file(channel, build.version, name), body);
    await this.store.put(BuildKeys.file(channel, build.version, 'manifest.json'), bytes, 'application/json');
    await this.store.put(BuildKeys.file(channel, build.version, 'manifest.sig'), Buffer.from(signature));

    await stage('store');
    await this.builds.transaction(async (trx) => {
      const locked = await this.builds.lock(trx, channel, build.version);
      if (locked?.status !== 'building') return;
      await this.builds.update(trx, build.id, {
        status: 'stored',
        stage: 'stored',
        manifest: JSON.stringify(manifest),
        manifest_sha256: sha256Hex(bytes),
        signature,
        artifact_prefix: BuildKeys.prefix(channel, build.version),
        finished_at: new Date(),
      });
      await this.signatures.applyBuiltChanges(trx, changes, build.version);
      for (const change of changes) {
        await this.cases.addEvent(trx, {
          caseId: change.case_id,
          type: 'fix_built',
          actorKeyId: null,
          actorRole: 'system',
          data: { databaseVersion: build.version, changeId: change.id, kind: build.kind },
        });
      }
    });
    this.logger.log(
      { channel, version: build.version, changes: changes.length, rules: manifest.ruleCount },
      'database build stored',
    );
    return { version: build.version, status: 'stored' };
  }

  /** The running build of the channel (after a crash), or a new one with the next version. */
  private async start(channel: string, kind: 'expedited' | 'scheduled'): Promise<DatabaseBuild | null> {
    return this.builds.transaction(async (trx) => {
      await this.builds.lockChannel(trx, channel);
      const running = await this.builds.running(trx, channel);
      if (running) return running;
      const changes = await this.builds.unbuiltChanges(trx, channel);
      if (changes.length === 0) return null;
      const { version, parent } = await this.builds.nextVersion(trx, channel);
      return this.builds.insert(trx, { channel, version, parent, kind, changeIds: changes.map((c) => c.id) });
    });
  }

  private async gates(
    build: DatabaseBuild,
    changes: SignatureChange[],
    next: CompiledRuleset,
    parent: CompiledRuleset,
    nextAllowlist: Set<string>,
    parentAllowlist: Set<string>,
    stage: (name: string, extra?: Record<string, unknown>) => Promise<void>,
  ): Promise<GateFailure | null> {
    // both rulesets are built in their scan threads at once rather than on their first scans, one after the other
    await Promise.all([next.ready(), parent.ready()]);
    await stage('case samples');
    for (const change of changes) {
      const found = await this.cases.findById(change.case_id);
      const shouldDetect = found?.kind === 'false_negative';
      for (const sample of await this.cases.samplesOf(change.case_id)) {
        const path = await this.engine.localCopy(StorageKeys.sample(sample.sha256), sample.sha256);
        const decision = decideDetection(
          sample.sha256,
          await next.scanFile(path, { timeoutMs: SCAN_TIMEOUT_MS }),
          nextAllowlist,
        );
        if (decision.detected !== shouldDetect) {
          return {
            gate: shouldDetect ? 'false_negatives_detected' : 'false_positives_not_detected',
            changeIds: [change.id],
            detail: `sample ${sample.sha256} of case ${found?.reference} is ${decision.detected ? '' : 'not '}detected`,
            evidence: { sha256: sample.sha256, rules: decision.rules },
          };
        }
      }
    }
    const corpus = await this.signatures.corpusFiles();
    let withMs = 0;
    let withoutMs = 0;
    for (const [index, file] of corpus.entries()) {
      const path = await this.engine.localCopy(file.storageKey, file.sha256);
      // with and without the changes side by side: each ruleset scans on a thread of its own
      const [scan, parentScan] = await Promise.all([
        next.scanFile(path, { timeoutMs: SCAN_TIMEOUT_MS }),
        parent.scanFile(path, { timeoutMs: SCAN_TIMEOUT_MS }),
      ]);
      withMs += scan.millis;
      withoutMs += parentScan.millis;
      const decision = decideDetection(file.sha256, scan, nextAllowlist);
      if (decision.detected) {
        return {
          gate: 'clean_corpus',
          changeIds: changes.filter((c) => c.rule_name && decision.rules.includes(c.rule_name)).map((c) => c.id),
          detail: `clean file ${file.name} is detected by ${decision.rules.join(', ')}`,
          evidence: { file: file.name, sha256: file.sha256, rules: decision.rules },
        };
      }
      if ((index + 1) % 100 === 0) await stage('clean corpus', { scanned: index + 1, files: corpus.length });
    }
    if (withMs > withoutMs * SCAN_TIME_BUDGET_RATIO + 50) {
      return {
        gate: 'scan_time_budget',
        changeIds: changes.filter((c) => c.rule_source).map((c) => c.id),
        detail: `the clean corpus scans in ${withMs} ms with the changes, ${withoutMs} ms without`,
      };
    }
    void parentAllowlist;
    return null;
  }

  /** Stores nothing as a release; the guilty change goes back to its author, the others wait for the next build. */
  private async fail(build: DatabaseBuild, changes: SignatureChange[], failure: GateFailure) {
    const guilty = failure.changeIds.length ? failure.changeIds : changes.map((c) => c.id);
    await this.builds.transaction(async (trx) => {
      await this.builds.update(trx, build.id, {
        status: 'failed',
        stage: 'failed',
        failure: JSON.stringify({ ...failure, changeIds: guilty }),
        finished_at: new Date(),
      });
      for (const change of changes.filter((c) => guilty.includes(c.id))) {
        await this.signatures.returnToAuthor(
          trx,
          change.id,
          `build ${build.version} failed the ${failure.gate} gate: ${failure.detail}`,
        );
        const current = await this.cases.lockExistingCase(trx, change.case_id);
        if (current.status === 'fix_scheduled') {
          await this.transitions.move(
            trx,
            current,
            'confirmed',
            { keyId: null, role: 'system' },
            {
              data: { reason: `database build ${build.version} failed`, gate: failure.gate, changeId: change.id },
            },
          );
        }
      }
    });
    this.logger.warn({ version: build.version, gate: failure.gate, changes: guilty }, 'database build failed a gate');
    if (changes.some((c) => !guilty.includes(c.id))) {
      await this.jobs.enqueue(JobName.BuildDatabase, { channel: build.channel, kind: build.kind });
    }
    this.jobs.relaySoon();
    return { version: build.version, status: 'failed' };
  }

  private db(): Kysely<DB> {
    return this.builds.executor();
  }
}

function contentOf(content: SignatureContent): DatabaseContent {
  return { rules: content.sources.map((s) => ({ name: s.name, source: s.source })), allowlist: [...content.allowlist] };
}
