import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { applyChanges } from './content/signature-content';
import { ContentProver } from './proof/content-prover';
import { SignatureEngine } from './signature-engine';
import { SignaturesRepository } from './signatures.repository';

/**
 * Proves a signature change before anyone approves it: the newest content of its channel with the change applied
 * goes through the same proof as a build (see ContentProver). The report is recorded once: a validation run again
 * (a job resumed after its worker died, or restored from PostgreSQL by the reconciler) does no harm.
 */
@Injectable()
export class ChangeValidator {
  private readonly logger = new Logger(ChangeValidator.name);

  constructor(
    private readonly signatures: SignaturesRepository,
    private readonly engine: SignatureEngine,
    private readonly prover: ContentProver,
  ) {}

  async validate(
    changeId: string,
    reportProgress: (progress: Record<string, unknown>) => Promise<void> = async () => undefined,
  ): Promise<{ status: string }> {
    const found = await this.signatures.findChange(changeId);
    if (!found) throw new UnrecoverableError(`signature change ${changeId} does not exist`);
    const [change] = await this.signatures.withSources([found]);
    if (change.status !== 'validating') return { status: change.status };
    // a run cut short (its worker died, or the queues lost the job) starts again from the beginning: nothing but
    // the progress is written before the report, and the report is written once
    if (change.progress)
      this.logger.log({ changeId, progress: change.progress }, 'signature change validation resumed');

    const parent = await this.engine.head(change.channel);
    const report = await this.prover.prove({
      parent,
      candidate: applyChanges(parent.content, [change]),
      changes: [change],
      progress: async (stage, extra = {}) => {
        const value = { stage, ...extra };
        await this.signatures.setProgress(changeId, value);
        await reportProgress(value);
      },
    });
    // `guilty` is for builds of several changes: here it can only be this one
    const recorded = { ...report, guilty: undefined, validatedRules: report.rules };
    const written = await this.signatures.finishValidation(changeId, report.passed, recorded, new Date());
    this.logger.log({ changeId, passed: report.passed, written, millis: report.millis }, 'signature change validated');
    if (!written) {
      // another run of the same validation recorded its report first: that one stands
      const stored = await this.signatures.findChange(changeId);
      return { status: stored?.status ?? 'validating' };
    }
    return { status: report.passed ? 'validated' : 'validation_failed' };
  }
}
