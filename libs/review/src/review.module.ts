import { Module } from '@nestjs/common';
import { AccountsModule } from '@sigdesk/accounts';
import { CasesModule } from '@sigdesk/cases';
import { ReviewController } from './review.controller';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';
import { SampleInspection } from './inspection/sample-inspection';
import { SampleDownloads } from './sample-download';
import { SlaTimers } from './sla-timers';

@Module({
  imports: [AccountsModule, CasesModule],
  providers: [ReviewRepository, ReviewService, SampleDownloads, SampleInspection, SlaTimers],
  exports: [ReviewRepository, ReviewService, SampleDownloads, SampleInspection, SlaTimers],
})
export class ReviewModule {}

@Module({ imports: [ReviewModule], controllers: [ReviewController] })
export class ReviewHttpModule {}
