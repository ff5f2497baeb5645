import { Module } from '@nestjs/common';
import { CasesModule } from '@sigdesk/cases';
import { ReleasesModule } from '@sigdesk/releases';
import { ChangeValidator } from './change-validator';
import { CompiledRulesets } from './content/compiled-rulesets';
import { CompiledRulesetsRepository } from './content/compiled-rulesets.repository';
import { CompiledRulesetsSweeper } from './content/compiled-rulesets-sweeper';
import { ContentRepository } from './content/content.repository';
import { RulesetsInForce } from './content/rulesets-in-force';
import { RulePackAnalyser } from './import/rule-pack-analyser';
import { RulePacksController } from './import/rule-packs.controller';
import { RulePacksRepository } from './import/rule-packs.repository';
import { RulePacksService } from './import/rule-packs.service';
import { UnacceptedRulePackSweeper } from './import/unaccepted-rule-pack-sweeper';
import { ContentProver } from './proof/content-prover';
import { SignatureChangesController } from './signature-changes.controller';
import { SignatureChangesService } from './signature-changes.service';
import { SignatureEngine } from './signature-engine';
import { SignaturesBootstrap } from './signatures-bootstrap';
import { ScanVerdictsPruner } from './scan-verdicts-pruner';
import { ScanVerdictsRepository } from './scan-verdicts.repository';
import { SignaturesRepository } from './signatures.repository';

/** What other domains use: the changes, the content of versions, the engine and the proof. */
const SHARED = [
  SignaturesRepository,
  ContentRepository,
  CompiledRulesets,
  CompiledRulesetsRepository,
  ScanVerdictsRepository,
  SignatureEngine,
  ContentProver,
  SignatureChangesService,
  ChangeValidator,
  RulePacksRepository,
  RulePacksService,
  RulePackAnalyser,
  UnacceptedRulePackSweeper,
  CompiledRulesetsSweeper,
  ScanVerdictsPruner,
];

@Module({
  imports: [CasesModule, ReleasesModule],
  providers: [...SHARED, RulesetsInForce, SignaturesBootstrap],
  exports: SHARED,
})
export class SignaturesModule {}

@Module({ imports: [SignaturesModule], controllers: [SignatureChangesController, RulePacksController] })
export class SignaturesHttpModule {}
