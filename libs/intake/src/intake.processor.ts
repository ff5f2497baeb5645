import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { CasesRepository } from '@sigdesk/cases';
import { JobOf, JobName } from '@sigdesk/queues';
import { ObjectStore, StorageKeys } from '@sigdesk/storage';

/**
 * The worker side of intake. Today it proves that every sample of a new case is in object storage, whole,
 * before the case counts as taken in; later stages (triage) hang off the same job.
 */
@Injectable()
export class IntakeJobs {
  private readonly logger = new Logger(IntakeJobs.name);

  constructor(
    private readonly cases: CasesRepository,
    private readonly store: ObjectStore,
  ) {}

  async intakeCase({ caseId }: JobOf<JobName.IntakeCase>): Promise<{ completed: boolean }> {
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
    const completed = await this.cases.markIntakeCompleted(caseId, {
      type: 'intake_completed',
      actorKeyId: null,
      actorRole: 'system',
      data: { samplesVerified: samples.length },
    });
    this.logger.log({ caseId, samples: samples.length, completed }, 'intake completed');
    return { completed };
  }
}
