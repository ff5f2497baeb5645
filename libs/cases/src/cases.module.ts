import { Module } from '@nestjs/common';
import { CasesRepository } from './cases.repository';
import { CasesService } from './cases.service';

@Module({ providers: [CasesRepository, CasesService], exports: [CasesRepository, CasesService] })
export class CasesModule {}
