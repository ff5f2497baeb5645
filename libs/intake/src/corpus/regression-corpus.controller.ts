import { Controller, Get, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppError } from '@sigdesk/http';
import { SignaturesRepository } from '@sigdesk/signatures';
import { ObjectStore } from '@sigdesk/storage';
import { isProtectedZip } from '../archive/protected-zip';
import { SampleIntake } from '../samples/sample-intake';

export const RegressionCorpusKeys = {
  file: (sha256: string) => `regression-corpus/${sha256.slice(0, 2)}/${sha256}`,
};

/**
 * The malware collection of the regression gate: known-bad files that every release must keep detecting. Admins
 * add to it with ZIPs protected with `infected`, so that nobody handles live malware in plain form.
 */
@ApiTags('administration')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/regression-corpus')
export class RegressionCorpusController {
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
        throw AppError.badRequest('file_required', 'Attach ZIPs protected with "infected" as file parts named "file".');
      }
      for (const file of upload.files) {
        if (file.type !== 'zip' || !(await isProtectedZip(file.path))) {
          throw AppError.unprocessable(
            'protected_zip_required',
            `"${file.fileName}" is not a ZIP protected with the password "infected": malware is exchanged only that way.`,
          );
        }
      }
      const files = await this.samples.unpack(upload.files, workDir);
      const added = [];
      for (const file of files) {
        const storageKey = RegressionCorpusKeys.file(file.sha256);
        await this.store.putFile(storageKey, file.path, file.size);
        const isNew = await this.signatures.addCorpusFile(
          { sha256: file.sha256, name: file.archivePath ?? file.fileName, size: file.size, storageKey },
          principal.actorId,
          'regression',
        );
        added.push({ sha256: file.sha256, name: file.archivePath ?? file.fileName, size: file.size, added: isNew });
      }
      return { files: added };
    });
  }

  @Get()
  async list() {
    const files = await this.signatures.corpusFiles('regression');
    return { files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
  }
}
