import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { CaseTransitions, CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import type { DatabaseBuild, DB, SignatureChange } from '@sigdesk/db';
import type { Transaction } from 'kysely';
import { expeditedBuildJob, jobIdFor, OutboxRepository, UnitOfWork } from '@sigdesk/queues';
import {
  applyChanges,
  ContentProver,
  ContentRepository,
  ProofReport,
  SignatureContent,
  SignatureEngine,
  SignaturesRepository,
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

/** The YARA-X that opens a build's compiled rules: this binding, at the version the manifest names. */
const YARA_X_BINDING = '@litko/yara-x-linux-x64-gnu';

export const BuildKeys = {
  prefix: (channel: string, version: number) => `builds/${channel}/${version}/`,
  file: (channel: string, version: number, name: string) => `builds/${channel}/${version}/${name}`,
};

export type BuildOutcome = {
  version?: number;
  status: 'stored' | 'failed' | 'nothing to build' | 'busy' | 'lease lost';
};

/** The holder of a build's lease lost it (it stalled past the lease and another worker took the build over). */
class LeaseLost extends Error {}

/**
 * Builds version N of a channel: the content of N−1 plus the approved changes not yet built, proven by the same
 * proof as a validation (ContentProver), signed, stored. The version is taken (and kept) before any work, so a
 * failed or interrupted build never gives its number to another.
 *
 * One worker at a time runs a build: it holds a lease that it renews while it works. A worker that dies stops
 * renewing; once the lease has expired, another worker (or the job's retry) takes the build over with the same
 * version. An error (storage down, a missing sample) gives the lease back for the retry; after `maxAttempts` the
 * build ends `failed` with the reason, and the channel builds again with the next version.
 */
@Injectable()
export class DatabaseBuilder {
  private readonly logger = new Logger(DatabaseBuilder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly builds: BuildsRepository,
    private readonly signatures: SignaturesRepository,
    private readonly contents: ContentRepository,
    private readonly prover: ContentProver,
    private readonly engine: SignatureEngine,
    private readonly cases: CasesRepository,
    private readonly transitions: CaseTransitions,
    private readonly store: ObjectStore,
    private readonly keys: SigningKeys,
    private readonly outbox: OutboxRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async build(
    channel: string,
    kind: 'expedited' | 'scheduled',
    reportProgress: (progress: Record<string, unknown>) => Promise<void> = async () => undefined,
  ): Promise<BuildOutcome> {
    const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
    const claim = await this.claim(channel, kind, owner);
    if (claim.status !== 'claimed') return claim;
    const build = claim.build;

    let lost = false;
    const heartbeat = setInterval(() => {
      this.builds.renewLease(build.id, owner, this.config.builds.leaseMs).then(
        (held) => (lost ||= !held),
        (error: unknown) => this.logger.warn({ err: error, version: build.version }, 'build lease not renewed'),
      );
    }, this.config.builds.leaseMs / 3);
    heartbeat.unref();
    const stage = async (name: string, extra: Record<string, unknown> = {}) => {
      if (lost) throw new LeaseLost(`build ${build.version} of ${channel}: lease lost`);
      const progress = { stage: name, version: build.version, attempt: build.attempts, ...extra };
      await this.builds.update(this.builds.executor(), build.id, { stage: name, progress: JSON.stringify(progress) });
      await reportProgress(progress);
      this.logger.log(progress, 'build progress');
    };

    try {
      return await this.run(build, owner, stage);
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.logger.warn({ channel, version: build.version }, 'build lease lost: another worker took the build over');
        return { version: build.version, status: 'lease lost' };
      }
      const reason = error instanceof Error ? error.message : String(error);
      if (build.attempts >= this.config.builds.maxAttempts) {
        await this.failBuild(build, [], { gate: 'error', detail: `${reason} (attempt ${build.attempts})` });
        return { version: build.version, status: 'failed' };
      }
      this.logger.warn(
        { channel, version: build.version, attempt: build.attempts, err: error },
        'build attempt failed',
      );
      await this.builds.releaseLease(build.id, owner, reason);
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async run(
    build: DatabaseBuild,
    owner: string,
    stage: (name: string, extra?: Record<string, unknown>) => Promise<void>,
  ): Promise<BuildOutcome> {
    const channel = build.channel;
    const changes = await this.signatures.withSources(await this.builds.changesByIds(build.change_ids));
    await stage('content', { changes: changes.length });
    const parent = await this.contents.contentAt(channel, build.parent_version);
    const next = applyChanges(parent.content, changes);
    const report = await this.prover.prove({
      parent,
      candidate: next,
      changes,
      progress: (name, extra) => stage(name, extra),
    });
    if (!report.passed) {
      const failed = report.checks.find((c) => !c.passed)!;
      return this.failBuild(build, changes, { gate: failed.check, detail: failed.summary, report });
    }

    await stage('artifact');
    const parentContent = artifactContent(parent.content);
    const nextContent = artifactContent(next);
    const files = renderContent(nextContent);
    const delta = Buffer.from(
      `${JSON.stringify(computeDelta(parentContent, nextContent, build.parent_version, build.version), null, 2)}\n`,
    );
    const payload: Record<string, Buffer> = {
      [ARTIFACT_FILES.rules]: files.rules,
      [ARTIFACT_FILES.allowlist]: files.allowlist,
      [ARTIFACT_FILES.delta]: delta,
      ...(files.namespaced ? { [ARTIFACT_FILES.namespacedRules]: files.namespaced } : {}),
    };
    // the rules compiled for the proof (kept compiled, and stored once for every process), shipped as they are
    const compiled = await this.engine.withCompiled({ channel, version: build.version, content: next }, async (c) =>
      c.ok ? c.compiled : undefined,
    );
    const compiledFile = compiled
      ? { name: ARTIFACT_FILES.compiledRules, sha256: compiled.sha256, size: compiled.size }
      : undefined;
    if (!compiled) this.logger.warn({ channel, version: build.version }, 'build stored without compiled rules');
    const caseRefs = await Promise.all(
      caseIdsOf(changes).map(async (caseId) => (await this.cases.findById(caseId))?.reference ?? caseId),
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
      // rules, not entries: an imported pack file is one entry of many rules (counted by the proof's compile)
      ruleCount: report.rules,
      allowlistCount: nextContent.allowlist.length,
      files: [
        ...Object.entries(payload).map(([name, bytes]) => ({ name, sha256: sha256Hex(bytes), size: bytes.length })),
        ...(compiledFile ? [compiledFile] : []),
      ],
      ...(compiled
        ? { compiledRules: { file: ARTIFACT_FILES.compiledRules, engine: `${YARA_X_BINDING}@${compiled.engine}` } }
        : {}),
    };
    const bytes = manifestBytes(manifest);
    const signature = signManifest(bytes, this.keys.privateKey());
    for (const [name, body] of Object.entries(payload))
      await this.store.put(BuildKeys.file(channel, build.version, name), body);
    if (compiled) {
      // a checked local copy: the file shipped has the bytes the manifest signs
      const path = await this.engine.localCopy(StorageKeys.compiledRules(compiled.sha256), compiled.sha256);
      await this.store.putFile(
        BuildKeys.file(channel, build.version, ARTIFACT_FILES.compiledRules),
        path,
        compiled.size,
      );
    }
    await this.store.put(BuildKeys.file(channel, build.version, 'manifest.json'), bytes, 'application/json');
    await this.store.put(BuildKeys.file(channel, build.version, 'manifest.sig'), Buffer.from(signature));

    await stage('store');
    const stored = await this.unitOfWork.run(async (trx) => {
      const locked = await this.builds.lock(trx, channel, build.version);
      if (locked?.status !== 'building' || locked.lease_owner !== owner) return false;
      const now = new Date();
      await this.builds.update(trx, build.id, {
        status: 'stored',
        stage: 'stored',
        manifest: JSON.stringify(manifest),
        manifest_sha256: sha256Hex(bytes),
        signature,
        artifact_prefix: BuildKeys.prefix(channel, build.version),
        report: JSON.stringify(reportView(report)),
        lease_owner: null,
        lease_expires_at: null,
        finished_at: now,
      });
      await this.contents.saveContent(trx, channel, build.version, build.parent_version, next);
      await this.signatures.markBuilt(
        trx,
        changes.map((c) => c.id),
        build.version,
        now,
      );
      await this.builds.scheduleFix(trx, caseIdsOf(changes), build.version);
      for (const change of changes) {
        if (change.case_id === null) continue;
        await this.cases.addEvent(trx, {
          caseId: change.case_id,
          type: 'fix_built',
          actorKeyId: null,
          actorRole: 'system',
          data: { databaseVersion: build.version, changeId: change.id, kind: build.kind },
        });
      }
      await this.requestFollowUp(trx, build);
      return true;
    });
    if (!stored) throw new LeaseLost(`build ${build.version} of ${channel} was taken over`);
    this.logger.log(
      { channel, version: build.version, changes: changes.length, rules: manifest.ruleCount },
      'database build stored',
    );
    return { version: build.version, status: 'stored' };
  }

  /**
   * The build of the channel to work on: a running one whose lease has expired (taken over, or ended `failed` when
   * it has had all its attempts), else a new one with the next version when approved changes wait.
   */
  private async claim(
    channel: string,
    kind: 'expedited' | 'scheduled',
    owner: string,
  ): Promise<{ status: 'claimed'; build: DatabaseBuild } | BuildOutcome> {
    const leaseMs = this.config.builds.leaseMs;
    type Found = { state: 'busy' | 'exhausted' | 'resumed'; build: DatabaseBuild } | null;
    const found = await this.builds.transaction(async (trx): Promise<Found> => {
      await this.builds.lockChannel(trx, channel);
      const running = await this.builds.running(trx, channel);
      if (!running) return null;
      if (await this.builds.leaseLive(trx, running.id)) return { state: 'busy', build: running };
      if (running.attempts >= this.config.builds.maxAttempts) return { state: 'exhausted', build: running };
      return { state: 'resumed', build: await this.builds.takeOver(trx, running.id, owner, leaseMs) };
    });
    if (found?.state === 'busy') return { version: found.build.version, status: 'busy' };
    if (found?.state === 'resumed') return { status: 'claimed', build: found.build };
    if (found?.state === 'exhausted') {
      const reason = (found.build.progress as { lastError?: string }).lastError ?? 'its worker stopped without a word';
      await this.failBuild(found.build, [], {
        gate: 'error',
        detail: `interrupted after ${found.build.attempts} attempt(s): ${reason}`,
      });
    }
    const created = await this.builds.transaction(async (trx) => {
      await this.builds.lockChannel(trx, channel);
      if (await this.builds.running(trx, channel)) return 'busy' as const;
      const changes = await this.builds.unbuiltChanges(trx, channel);
      if (changes.length === 0) return null;
      const { version, parent } = await this.builds.nextVersion(trx, channel);
      return this.builds.insert(trx, {
        channel,
        version,
        parent,
        kind,
        changeIds: changes.map((c) => c.id),
        owner,
        leaseMs,
      });
    });
    if (created === 'busy') return { status: 'busy' };
    if (!created) return { status: 'nothing to build' };
    return { status: 'claimed', build: created };
  }

  /**
   * Ends the build `failed` (stores nothing): changes the proof blames go back to their authors and their cases
   * back to `confirmed`; the others wait for the next build, requested in the same transaction.
   */
  private async failBuild(
    build: DatabaseBuild,
    changes: SignatureChange[],
    failure: { gate: string; detail: string; report?: ProofReport },
  ): Promise<BuildOutcome> {
    const guilty = failure.report ? failure.report.guilty : [];
    await this.unitOfWork.run(async (trx) => {
      await this.builds.update(trx, build.id, {
        status: 'failed',
        stage: 'failed',
        failure: JSON.stringify({ gate: failure.gate, detail: failure.detail, changeIds: guilty }),
        ...(failure.report ? { report: JSON.stringify(reportView(failure.report)) } : {}),
        lease_owner: null,
        lease_expires_at: null,
        finished_at: new Date(),
      });
      for (const change of changes.filter((c) => guilty.includes(c.id))) {
        await this.signatures.returnToAuthor(
          trx,
          change.id,
          `build ${build.version} failed the ${failure.gate} check: ${failure.detail}`,
        );
        if (change.case_id === null) continue;
        const current = await this.cases.lockExistingCase(trx, change.case_id);
        if (current.status === 'fix_scheduled') {
          await this.transitions.move(
            trx,
            current,
            'confirmed',
            { keyId: null, role: 'system' },
            { data: { reason: `database build ${build.version} failed`, gate: failure.gate, changeId: change.id } },
          );
        }
      }
      // after an error (storage down, say) the sweep asks again later, rather than burning versions meanwhile
      if (failure.report) await this.requestFollowUp(trx, build);
    });
    this.logger.warn({ version: build.version, gate: failure.gate, changes: guilty }, 'database build failed');
    return { version: build.version, status: 'failed' };
  }

  /** Approved MSA Start changes the build did not take are built next, at once (through the outbox). */
  private async requestFollowUp(trx: Transaction<DB>, build: DatabaseBuild): Promise<void> {
    const waiting = await this.builds.unbuiltChanges(trx, build.channel);
    if (!waiting.length) return;
    const expedited = await this.cases.anyMsaStart(trx, caseIdsOf(waiting));
    if (!expedited) return;
    const job = expeditedBuildJob(build.channel, this.config.builds.expeditedWindowMs);
    await this.outbox.add(
      trx,
      job.name,
      job.payload,
      jobIdFor(job.name, `${build.id}-follow-up`),
      undefined,
      job.options,
    );
  }
}

/** What a release file lists: the rules, and the allow-list with each entry's expiry when it has one. */
/** The cases of changes (an import has none). */
function caseIdsOf(changes: ReadonlyArray<{ case_id: string | null }>): string[] {
  return changes.flatMap((c) => (c.case_id === null ? [] : [c.case_id]));
}

function artifactContent(content: SignatureContent): DatabaseContent {
  return {
    rules: content.rules.map((r) =>
      r.namespace === null
        ? { name: r.name, source: r.source }
        : {
            name: r.name,
            source: r.source,
            namespace: r.namespace,
            pack: r.provenance?.pack,
            file: r.provenance?.file,
          },
    ),
    allowlist: content.allowlist.map((e) => (e.expiresAt ? `${e.sha256} expires=${e.expiresAt}` : e.sha256)),
  };
}

/** The proof as a build records it: the checks and the detection diff. */
function reportView(report: ProofReport) {
  return { ...report, guilty: undefined };
}
