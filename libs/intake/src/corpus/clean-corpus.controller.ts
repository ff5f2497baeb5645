import { Controller, Get, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppError } from '@sigdesk/http';
import { CorpusKeys, SignaturesRepository } from '@sigdesk/signatures';
import { ObjectStore } from '@sigdesk/storage';
import { SampleIntake } from '../samples/sample-intake';

/** The clean corpus: known-good files that no signature may detect. Admins add to it. */
@ApiTags('administration')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/clean-corpus')
export class CleanCorpusController {
  constructor(
    private readonly samples: SampleIntake,
    private readonly signatures: SignaturesRepository,
    private readonly store: ObjectStore,
  ) {}

  @Post()
  @ApiConsumes('multipart/form-data')
  async upload(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.samples.withWorkDir(async (workDir) => {
      const upload = await this.samples.read(request, workDir, { fileField: 'file' });
      if (upload.files.length === 0) {
        throw AppError.badRequest('file_required', 'Attach the clean files as file parts named "file".');
      }
      const added = [];
      for (const file of upload.files) {
        const storageKey = CorpusKeys.file(file.sha256);
        await this.store.putFile(storageKey, file.path, file.size);
        const isNew = await this.signatures.addCorpusFile(
          { sha256: file.sha256, name: file.fileName, size: file.size, storageKey },
          principal.actorId,
        );
        added.push({ sha256: file.sha256, name: file.fileName, size: file.size, added: isNew });
      }
      return { files: added };
    });
  }

  @Get()
  async list() {
    const files = await this.signatures.corpusFiles();
    return { files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
  }
}
