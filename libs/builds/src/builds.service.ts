import { Injectable } from '@nestjs/common';
import { CasesRepository, CaseTransitions } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import type { DatabaseBuild } from '@sigdesk/db';
import { AppError, INT4_MAX, invalidCursor } from '@sigdesk/http';
import { expeditedBuildJob, JobQueueService, scheduledBuildJob, UnitOfWork } from '@sigdesk/queues';
import { ReleasesRepository } from '@sigdesk/releases';
import { ObjectStore } from '@sigdesk/storage';
import { ARTIFACT_FILES, type Delta } from './artifact';
import type { BuildDetail, BuildList, DeltaSummary, PublishedBuild } from './build-view.schema';
import { BuildCase, BuildsRepository, Gate, ListedBuild } from './builds.repository';
import { BuildKeys } from './database-builder';
import { SigningKeys } from './signing-keys';

const DOWNLOAD_URL_SECONDS = 300;
/** The most rule names a build's view lists per kind of change (the counts are whole). */
const DELTA_NAMES = 500;

export function buildView(build: ListedBuild | DatabaseBuild) {
  return {
    channel: build.channel,
    version: build.version,
    parentVersion: build.parent_version,
    kind: build.kind,
    status: build.status,
    stage: build.stage,
    progress: build.progress,
    attempts: build.attempts,
    changes: build.change_ids,
    failure: build.failure,
    startedAt: build.started_at.toISOString(),
    durationMs: build.finished_at ? build.finished_at.getTime() - build.started_at.getTime() : null,
    finishedAt: build.finished_at?.toISOString() ?? null,
    publishedAt: build.published_at?.toISOString() ?? null,
  };
}

/** The cases of each change, for the builds' views (a change has one case; a group's changes each their own). */
function casesByChange(cases: BuildCase[]): Map<string, Array<Omit<BuildCase, 'changeId'>>> {
  const byChange = new Map<string, Array<Omit<BuildCase, 'changeId'>>>();
  for (const { changeId, ...found } of cases) byChange.set(changeId, [...(byChange.get(changeId) ?? []), found]);
  return byChange;
}

/** Each check of a build's report, and whether it passed (none before the proof ran). */
export function gatesOf(report: unknown): Gate[] {
  const checks = (report as { checks?: Array<{ check: string; passed: boolean }> } | null)?.checks ?? [];
  return checks.map((check) => ({ check: check.check, passed: check.passed }));
}

/** Release tooling's side of builds: listing, downloading, publishing. */
@Injectable()
export class BuildsService {
  constructor(
    private readonly config: AppConfig,
    private readonly builds: BuildsRepository,
    private readonly releases: ReleasesRepository,
    private readonly transitions: CaseTransitions,
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
    private readonly keys: SigningKeys,
    private readonly jobs: JobQueueService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * The sweep, every minute: builds whose worker stopped renewing the lease are resumed, and approved MSA Start
   * changes still waiting (their expedited request lost) are built at once, on every channel.
   */
  async requestForWaitingChanges(now = new Date()): Promise<{ resumed: number; expedited: number }> {
    const stalled = await this.builds.channelsWithStalledBuilds();
    for (const { channel, kind } of stalled) await this.request(channel, kind);
    const cutoff = new Date(now.getTime() - 2 * this.config.builds.expeditedWindowMs - 10_000);
    const waiting = (await this.builds.channelsWithUnbuiltChanges(cutoff, true)).filter((c) => c.expedited);
    for (const { channel } of waiting) await this.request(channel, 'expedited');
    return { resumed: stalled.length, expedited: waiting.length };
  }

  /** The scheduled build: every channel with approved changes not built yet gets one. */
  async requestScheduledBuilds(now = new Date()): Promise<{ channels: string[] }> {
    const channels = (await this.builds.channelsWithUnbuiltChanges(now, false)).map((c) => c.channel);
    for (const channel of channels) await this.request(channel, 'scheduled');
    return { channels };
  }

  private async request(channel: string, kind: 'expedited' | 'scheduled'): Promise<void> {
    const job =
      kind === 'expedited'
        ? expeditedBuildJob(channel, this.config.builds.expeditedWindowMs)
        : scheduledBuildJob(channel);
    await this.jobs.enqueue(job.name, job.payload, undefined, job.options);
  }

  async list(
    channel = this.config.releases.defaultChannel,
    cursor: string | undefined,
    limit: number,
  ): Promise<BuildList> {
    // a version: an `integer` column
    if (cursor !== undefined && !(/^\d{1,10}$/.test(cursor) && Number(cursor) <= INT4_MAX)) {
      throw invalidCursor();
    }
    const rows = await this.builds.list(channel, cursor === undefined ? undefined : Number(cursor), limit + 1);
    const page = rows.slice(0, limit);
    const cases = casesByChange(await this.builds.casesOfChanges(page.flatMap((build) => build.change_ids)));
    return {
      items: page.map((build) => ({
        ...buildView(build),
        gates: build.gates,
        cases: build.change_ids.flatMap((id) => cases.get(id) ?? []),
      })),
      nextCursor: rows.length > limit ? String(page[page.length - 1].version) : null,
    };
  }

  async get(channel = this.config.releases.defaultChannel, version: number): Promise<BuildDetail> {
    const build = await this.builds.find(channel, version);
    if (!build) throw AppError.notFound(`Build ${version} of channel "${channel}"`);
    const stored = build.status === 'stored' || build.status === 'published';
    const files = stored
      ? [
          'manifest.json',
          'manifest.sig',
          ...(build.manifest as { files: Array<{ name: string }> }).files.map((f) => f.name),
        ]
      : [];
    const downloads = Object.fromEntries(
      await Promise.all(
        files.map(async (name) => [
          name,
          await this.store.presignGet(BuildKeys.file(channel, version, name), DOWNLOAD_URL_SECONDS),
        ]),
      ),
    );
    const [cases, closes] = await Promise.all([
      this.builds.casesOfChanges(build.change_ids),
      build.status === 'stored' ? this.builds.casesClosedByPublishing(channel, version) : Promise.resolve([]),
    ]);
    const byChange = casesByChange(cases);
    const delta = stored ? await this.deltaSummary(channel, version) : null;
    return {
      ...buildView(build),
      gates: gatesOf(build.report),
      cases: build.change_ids.flatMap((id) => byChange.get(id) ?? []),
      // what publishing it would do: the cases that become fixed (a stored build only)
      casesClosedByPublishing: closes,
      delta,
      // the proof: its checks and the detection diff against the parent (lists leave it out: it can be large)
      report: build.report,
      manifest: build.manifest,
      manifestSha256: build.manifest_sha256,
      signature: build.signature,
      downloads,
      downloadsExpireAt: stored ? new Date(Date.now() + DOWNLOAD_URL_SECONDS * 1000).toISOString() : null,
    };
  }

  /** What a stored build changes against its parent, by name (its `delta.json` holds the rules' sources too). */
  private async deltaSummary(channel: string, version: number): Promise<DeltaSummary> {
    const delta = JSON.parse(
      (await this.store.getBuffer(BuildKeys.file(channel, version, ARTIFACT_FILES.delta))).toString('utf8'),
    ) as Delta;
    const names = (rules: Array<{ name: string }>) => rules.slice(0, DELTA_NAMES).map((rule) => rule.name);
    return {
      rules: {
        added: names(delta.rules.added),
        changed: names(delta.rules.changed),
        removed: delta.rules.removed.slice(0, DELTA_NAMES),
        counts: {
          added: delta.rules.added.length,
          changed: delta.rules.changed.length,
          removed: delta.rules.removed.length,
        },
      },
      allowlist: { added: delta.allowlist.added.length, removed: delta.allowlist.removed.length },
    };
  }

  signingKey() {
    return { algorithm: 'Ed25519', publicKey: this.keys.publicKeyPem() };
  }

  /**
   * The build becomes the current published release; every case it fixes becomes `fixed`. Publishing a version
   * that is already published answers as the first time did (idempotent); publishing one older than the newest
   * published release of the channel is refused (409), since releases only move forward.
   */
  async publish(
    channel = this.config.releases.defaultChannel,
    version: number,
    now = new Date(),
  ): Promise<PublishedBuild> {
    const result = await this.unitOfWork.run(async (trx) => {
      await this.builds.lockChannel(trx, channel);
      const build = await this.builds.lock(trx, channel, version);
      if (!build) throw AppError.notFound(`Build ${version} of channel "${channel}"`);
      if (build.status === 'published') return { build, alreadyPublished: true };
      if (build.status !== 'stored') {
        throw AppError.conflict(
          'build_not_stored',
          `Build ${version} is ${build.status}; only a stored build can be published.`,
        );
      }
      const newest = await this.releases.newestIn(trx, channel);
      if (newest && newest.version >= version) {
        throw AppError.conflict(
          'release_out_of_order',
          `Channel "${channel}" already has release ${newest.version}; releases only move forward.`,
          { newestVersion: newest.version },
        );
      }
      await this.releases.insertPublishedIn(trx, { channel, version, releasedAt: now, source: 'build' });
      await this.builds.update(trx, build.id, { status: 'published', published_at: now });
      // the cases of this build's changes, and those an earlier stored build of the channel handled
      const fixed = await this.cases.fixedByPublication(trx, channel, version);
      for (const current of fixed) {
        await this.transitions.move(
          trx,
          current,
          'fixed',
          { keyId: null, role: 'system' },
          {
            changes: { fixed_in_database_version: version },
            data: {
              fixedInDatabaseVersion: version,
              message: `Fixed in database version ${version}. Update your product to it.`,
            },
            now,
          },
        );
      }
      return {
        build: { ...build, status: 'published' as const, published_at: now },
        alreadyPublished: false,
        fixed: fixed.length,
      };
    });
    return { ...buildView(result.build), alreadyPublished: result.alreadyPublished, casesFixed: result.fixed ?? 0 };
  }
}
