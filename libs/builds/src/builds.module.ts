import { Module } from '@nestjs/common';
import { CasesModule } from '@sigdesk/cases';
import { ReleasesModule } from '@sigdesk/releases';
import { SignaturesModule } from '@sigdesk/signatures';
import { BuildsController } from './builds.controller';
import { BuildsRepository } from './builds.repository';
import { BuildsService } from './builds.service';
import { DatabaseBuilder } from './database-builder';
import { SigningKeys } from './signing-keys';

@Module({
  imports: [CasesModule, ReleasesModule, SignaturesModule],
  providers: [BuildsRepository, BuildsService, DatabaseBuilder, SigningKeys],
  exports: [BuildsService, BuildsRepository, DatabaseBuilder, SigningKeys],
})
export class BuildsModule {}

@Module({ imports: [BuildsModule], controllers: [BuildsController] })
export class BuildsHttpModule {}
