import { Module } from '@nestjs/common';
import { AccountsModule } from '@sigdesk/accounts';
import { CasesModule } from '@sigdesk/cases';
import { ReleasesModule } from '@sigdesk/releases';
import { IntakeJobs } from './intake.processor';
import { OrphanSampleSweeper } from './maintenance/orphan-sweeper';
import { IdempotencyRepository } from './submissions/idempotency.repository';
import { SubmissionsController } from './submissions/submissions.controller';
import { SubmissionsService } from './submissions/submissions.service';

@Module({
  imports: [AccountsModule, CasesModule, ReleasesModule],
  providers: [SubmissionsService, IdempotencyRepository, IntakeJobs, OrphanSampleSweeper],
  exports: [SubmissionsService, IdempotencyRepository, IntakeJobs, OrphanSampleSweeper],
})
export class IntakeModule {}

@Module({ imports: [IntakeModule, CasesModule], controllers: [SubmissionsController] })
export class IntakeHttpModule {}
