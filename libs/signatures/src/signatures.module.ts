import { Module } from '@nestjs/common';
import { CasesModule } from '@sigdesk/cases';
import { ChangeValidator } from './change-validator';
import { SignatureChangesController } from './signature-changes.controller';
import { SignatureChangesService } from './signature-changes.service';
import { SignatureEngine } from './signature-engine';
import { SignaturesBootstrap } from './signatures-bootstrap';
import { SignaturesRepository } from './signatures.repository';

@Module({
  imports: [CasesModule],
  providers: [SignaturesRepository, SignatureEngine, SignatureChangesService, ChangeValidator, SignaturesBootstrap],
  exports: [SignaturesRepository, SignatureEngine, SignatureChangesService, ChangeValidator],
})
export class SignaturesModule {}

@Module({ imports: [SignaturesModule], controllers: [SignatureChangesController] })
export class SignaturesHttpModule {}
