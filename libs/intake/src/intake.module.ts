import { Module } from '@nestjs/common';
import { AccountsModule } from '@sigdesk/accounts';
import { CasesModule } from '@sigdesk/cases';
import { ReleasesModule } from '@sigdesk/releases';
import { ReviewModule } from '@sigdesk/review';
import { SignaturesModule } from '@sigdesk/signatures';
import { CleanCorpusController } from './corpus/clean-corpus.controller';
import { RegressionCorpusController } from './corpus/regression-corpus.controller';
import { RulePackUploadsController } from './rule-packs/rule-pack-uploads.controller';
import { SpoolFolders } from './files/spool-folders';
import { RepliesController } from './replies/replies.controller';
import { SampleDigests } from './samples/sample-digests';
import { SampleIntake } from './samples/sample-intake';
import { SampleObjectClaimsRepository } from './samples/sample-object-claims.repository';
import { SampleObjectRemover } from './samples/sample-object-remover';
import { StagingObjectsRepository } from './samples/staging-objects.repository';
import { UnendedUploadClaims } from './samples/unended-upload-claims';
import { IntakeJobs } from './intake.processor';
import { OrphanSampleSweeper } from './maintenance/orphan-sweeper';
import { IdempotencyRepository } from './submissions/idempotency.repository';
import { SubmissionsController } from './submissions/submissions.controller';
import { SubmissionsService } from './submissions/submissions.service';

@Module({
  imports: [AccountsModule, CasesModule, ReleasesModule, SignaturesModule],
  providers: [
    SubmissionsService,
    SampleIntake,
    SampleDigests,
    SampleObjectClaimsRepository,
    SampleObjectRemover,
    StagingObjectsRepository,
    UnendedUploadClaims,
    SpoolFolders,
    IdempotencyRepository,
    IntakeJobs,
    OrphanSampleSweeper,
  ],
  exports: [SubmissionsService, SampleIntake, IdempotencyRepository, IntakeJobs, OrphanSampleSweeper],
})
export class IntakeModule {}

@Module({
  imports: [IntakeModule, CasesModule, ReviewModule, SignaturesModule],
  controllers: [
    SubmissionsController,
    RepliesController,
    CleanCorpusController,
    RegressionCorpusController,
    RulePackUploadsController,
  ],
})
export class IntakeHttpModule {}
