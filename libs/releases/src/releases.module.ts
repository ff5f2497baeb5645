import { Module } from '@nestjs/common';
import { ReleasesController } from './releases.controller';
import { ReleasesRepository } from './releases.repository';
import { ReleasesService } from './releases.service';

@Module({ providers: [ReleasesRepository, ReleasesService], exports: [ReleasesService, ReleasesRepository] })
export class ReleasesModule {}

@Module({ imports: [ReleasesModule], controllers: [ReleasesController] })
export class ReleasesHttpModule {}
