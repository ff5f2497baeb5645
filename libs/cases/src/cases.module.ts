import { Module } from '@nestjs/common';
import { CasesRepository } from './cases.repository';
import { CasesService } from './cases.service';
import { ResponseClock } from './response-clock';
import { CaseTransitions } from './case-transitions';
import { NotificationsModule } from '@sigdesk/notifications';
import { AccountsModule } from '@sigdesk/accounts';

@Module({
  imports: [NotificationsModule, AccountsModule],
  providers: [CasesRepository, CasesService, ResponseClock, CaseTransitions],
  exports: [CasesRepository, CasesService, ResponseClock, CaseTransitions],
})
export class CasesModule {}
