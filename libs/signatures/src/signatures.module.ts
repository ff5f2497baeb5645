import { Module } from '@nestjs/common';
import { CasesModule } from '@sigdesk/cases';
import { ChangeValidator } from './change-validator';
import { CompiledRulesets } from './content/compiled-rulesets';
import { ContentRepository } from './content/content.repository';
import { ContentProver } from './proof/content-prover';
import { SignatureChangesController } from './signature-changes.controller';
import { SignatureChangesService } from './signature-changes.service';
import { SignatureEngine } from './signature-engine';
import { SignaturesBootstrap } from './signatures-bootstrap';
import { SignaturesRepository } from './signatures.repository';

@Module({
  imports: [CasesModule],
  providers: [
    SignaturesRepository,
    ContentRepository,
    CompiledRulesets,
    SignatureEngine,
    ContentProver,
    SignatureChangesService,
    ChangeValidator,
    SignaturesBootstrap,
  ],
  exports: [
    SignaturesRepository,
    ContentRepository,
    CompiledRulesets,
    SignatureEngine,
    ContentProver,
    SignatureChangesService,
    ChangeValidator,
  ],
})
export class SignaturesModule {}

@Module({ imports: [SignaturesModule], controllers: [SignatureChangesController] })
export class SignaturesHttpModule {}
