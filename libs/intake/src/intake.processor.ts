import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { CaseTransitions, CasesRepository } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import type { Case } from '@sigdesk/db';
import { JobOf, JobName, UnitOfWork } from '@sigdesk/queues';
import { FileVerdict, ScanTarget, SignatureEngine, VersionedContent } from '@sigdesk/signatures';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';
import { SampleDigests } from './samples/sample-digests';

interface Triage {
  version: number;
  verdicts: FileVerdict[];
  handled: boolean;
}

/**
 * The worker side of intake: proves that every sample of a new case is in object storage, whole, records the
 * samples' SHA-1 and MD5 (an upload computes only the SHA-256), then triages the case: `intake_completed` means
 * every digest is there. Only published releases fix anything: a false negative the published release already
 * detects (or a false positive it no longer detects) is `fixed` with that version; one that only a stored,
 * unpublished build handles becomes `fix_scheduled` with that build's version, and `fixed` when it is published.
 * Otherwise the analyst finds what the published release says about each sample on the timeline.
 */
@Injectable()
export class IntakeJobs {
  private readonly logger = new Logger(IntakeJobs.name);

  constructor(
    private readonly config: AppConfig,
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
    private readonly engine: SignatureEngine,
    private readonly transitions: CaseTransitions,
    private readonly unitOfWork: UnitOfWork,
    private readonly digests: SampleDigests,
  ) {}

  async intakeCase({ caseId }: JobOf<JobName.IntakeCase>): Promise<{ completed: boolean; resolved?: string }> {
    const found = await this.cases.findById(caseId);
    if (!found) throw new UnrecoverableError(`case ${caseId} does not exist`);
    if (found.intake_completed_at) return { completed: false };
    const samples = await this.cases.samplesOf(caseId);
    for (const sample of samples) {
      const object = await this.store.head(StorageKeys.sample(sample.sha256));
      // retryable: an eventually consistent store may not show a fresh object yet
      if (!object) throw new Error(`sample ${sample.sha256} of case ${caseId} is not in object storage`);
      if (object.size !== Number(sample.size)) {
        throw new UnrecoverableError(
          `sample ${sample.sha256} is ${object.size} bytes in storage, ${sample.size} recorded`,
        );
      }
    }
    // before the scans: the local copy the digests are read from is the one they scan
    await this.digests.complete(samples.map((s) => s.sha256));
    const targets: ScanTarget[] = samples.map((s) => ({
      file: s.archive_path ?? s.file_name,
      sha256: s.sha256,
      storageKey: StorageKeys.sample(s.sha256),
      name: s.archive_path ?? s.file_name,
      type: s.type,
    }));

    const published = await this.engine.published(found.database_channel);
    const atRelease = published ? await this.triage(found, published, targets) : null;
    let scheduled: Triage | null = null;
    if (!atRelease?.handled) {
      const head = await this.engine.head(found.database_channel);
      if (head.version !== null && head.version > (published?.version ?? 0)) {
        scheduled = await this.triage(found, head, targets);
      }
    }

    const outcome = await this.unitOfWork.run(async (trx) => {
      const locked = await this.cases.lockExistingCase(trx, caseId);
      if (locked.intake_completed_at) return { completed: false };
      await this.cases.markIntakeCompleted(trx, caseId, new Date());
      await this.cases.addEvent(trx, {
        caseId,
        type: 'intake_completed',
        actorKeyId: null,
        actorRole: 'system',
        data: {
          samplesVerified: samples.length,
          ...(atRelease ? { triageDatabaseVersion: atRelease.version, triage: triageView(atRelease) } : {}),
          ...(scheduled ? { scheduledDatabaseVersion: scheduled.version, scheduledTriage: triageView(scheduled) } : {}),
        },
      });
      if (locked.status !== 'queued') return { completed: true };
      const these = samples.length > 1 ? 'these samples' : 'this sample';
      const does = found.kind === 'false_negative' ? 'detects' : 'no longer detects';
      if (atRelease?.handled) {
        await this.transitions.move(
          trx,
          locked,
          'fixed',
          { keyId: null, role: 'system' },
          {
            changes: { fixed_in_database_version: atRelease.version },
            data: {
              message: `Database version ${atRelease.version} already ${does} ${these}. Update your product to it.`,
              fixedInDatabaseVersion: atRelease.version,
              automatic: true,
            },
          },
        );
        return { completed: true, resolved: 'fixed' };
      }
      if (scheduled?.handled) {
        await this.transitions.move(
          trx,
          locked,
          'fix_scheduled',
          { keyId: null, role: 'system' },
          {
            changes: { scheduled_fix_version: scheduled.version },
            data: {
              message: `Database version ${scheduled.version}, not yet released, ${does} ${these}. You will be told when it is published.`,
              scheduledDatabaseVersion: scheduled.version,
              automatic: true,
            },
          },
        );
        return { completed: true, resolved: 'fix_scheduled' };
      }
      return { completed: true };
    });
    this.logger.log({ caseId, samples: samples.length, ...outcome }, 'intake completed');
    return outcome;
  }

  /** A sample added to a case after its intake (with a reply): its SHA-1 and MD5. */
  async digestSample({ sha256 }: JobOf<JobName.DigestSample>): Promise<{ computed: number }> {
    return { computed: await this.digests.complete([sha256]) };
  }

  /** What one version says of the case's samples, and whether that settles the case. */
  private async triage(found: Case, versioned: VersionedContent, targets: ScanTarget[]): Promise<Triage> {
    const verdicts = await this.engine.withCompiled(versioned, async (compiled) => {
      if (!compiled.ruleset) {
        this.logger.error(
          { channel: versioned.channel, version: versioned.version, errors: compiled.errors.slice(0, 3) },
          'a stored database version does not compile',
        );
        throw new Error(`database version ${versioned.version} of ${versioned.channel} does not compile`);
      }
      return this.engine.scanAll(versioned, compiled.ruleset, targets, { timeoutMs: this.config.builds.scanTimeoutMs });
    });
    const handled =
      verdicts.length > 0 && verdicts.every((v) => (found.kind === 'false_negative' ? v.detected : !v.detected));
    return { version: versioned.version ?? 0, verdicts, handled };
  }
}

function triageView(triage: Triage) {
  return triage.verdicts.map((v) => ({
    sha256: v.target.sha256,
    detected: v.detected,
    rules: v.rules,
    allowlisted: v.allowlisted,
  }));
}
