import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { CaseTransitions, CasesRepository } from '@sigdesk/cases';
import { decideDetection } from '@sigdesk/detection';
import { JobOf, JobName, JobQueueService } from '@sigdesk/queues';
import { ReleasesService } from '@sigdesk/releases';
import { SignatureEngine } from '@sigdesk/signatures';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';

const TRIAGE_SCAN_TIMEOUT_MS = 60_000;

/**
 * The worker side of intake: proves that every sample of a new case is in object storage, whole, then triages
 * the case with the current database. A false negative it already detects, or a false positive it no longer
 * detects, is resolved at once with the version that handles it; otherwise the analyst finds what the current
 * database says about each sample on the timeline.
 */
@Injectable()
export class IntakeJobs {
  private readonly logger = new Logger(IntakeJobs.name);

  constructor(
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
    private readonly engine: SignatureEngine,
    private readonly releases: ReleasesService,
    private readonly transitions: CaseTransitions,
    private readonly jobs: JobQueueService,
  ) {}

  async intakeCase({ caseId }: JobOf<JobName.IntakeCase>): Promise<{ completed: boolean; resolved?: boolean }> {
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

    const state = await this.engine.current();
    const verdicts: Array<{ sha256: string; detected: boolean; rules: string[]; allowlisted: boolean }> = [];
    for (const sample of samples) {
      const path = await this.engine.localCopy(StorageKeys.sample(sample.sha256), sample.sha256);
      const scan = state.compiled.ruleset
        ? await state.compiled.ruleset.scanFile(path, { timeoutMs: TRIAGE_SCAN_TIMEOUT_MS })
        : { matches: [], millis: 0 };
      const decision = decideDetection(sample.sha256, scan, state.allowlist);
      verdicts.push({
        sha256: sample.sha256,
        detected: decision.detected,
        rules: decision.rules,
        allowlisted: decision.allowlisted,
      });
    }
    const current = await this.releases.current(found.database_channel).catch(() => null);
    const handled =
      samples.length > 0 &&
      verdicts.every((v) => (found.kind === 'false_negative' ? v.detected : !v.detected)) &&
      current !== null;

    const outcome = await this.cases.transaction(async (trx) => {
      const locked = await this.cases.lockExistingCase(trx, caseId);
      if (locked.intake_completed_at) return { completed: false };
      await trx.updateTable('cases').set({ intake_completed_at: new Date() }).where('id', '=', caseId).execute();
      await this.cases.addEvent(trx, {
        caseId,
        type: 'intake_completed',
        actorKeyId: null,
        actorRole: 'system',
        data: { samplesVerified: samples.length, triage: verdicts },
      });
      if (!handled || locked.status !== 'queued') return { completed: true, resolved: false };
      const message =
        found.kind === 'false_negative'
          ? `Database version ${current!.version} already detects ${samples.length > 1 ? 'these samples' : 'this sample'}. Update your product to it.`
          : `Database version ${current!.version} no longer detects ${samples.length > 1 ? 'these samples' : 'this sample'}. Update your product to it.`;
      await this.transitions.move(
        trx,
        locked,
        'fixed',
        { keyId: null, role: 'system' },
        {
          changes: { fixed_in_database_version: current!.version },
          data: { message, fixedInDatabaseVersion: current!.version, automatic: true },
        },
      );
      return { completed: true, resolved: true };
    });
    this.jobs.relaySoon();
    this.logger.log({ caseId, samples: samples.length, ...outcome }, 'intake completed');
    return outcome;
  }
}
