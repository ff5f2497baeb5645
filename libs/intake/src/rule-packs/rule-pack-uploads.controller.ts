import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { packNameProblem, RulePacksService } from '@sigdesk/signatures';
import { SampleIntake } from '../samples/sample-intake';

const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A lab's existing YARA rules in: a `.yar` file, or a ZIP or tar.gz of them, as the file part "pack" (streamed to a
 * private folder within the upload limits), and optionally the channel ("channel") they are for and the pack's name
 * ("packName"; by default the upload's file name without its extensions): an import replaces the files of the pack
 * of the same name, so a new version of a pack is imported under the name of the last. The pack is read and its
 * analysis starts: see `GET /v1/admin/rulesets/imports/:id` for its progress and quality report.
 */
@ApiTags('administration')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/rulesets')
export class RulePackUploadsController {
  constructor(
    private readonly samples: SampleIntake,
    private readonly packs: RulePacksService,
    private readonly config: AppConfig,
  ) {}

  @Post('import')
  @HttpCode(202)
  @ApiConsumes('multipart/form-data')
  async upload(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return this.samples.withWorkDir(async (workDir) => {
      let channel = this.config.releases.defaultChannel;
      let packName: string | undefined;
      const upload = await this.samples.read(request, workDir, {
        fileField: 'pack',
        beforeFiles: async (fields) => {
          const unknown = Object.keys(fields).filter((name) => name !== 'channel' && name !== 'packName');
          if (unknown.length) {
            throw AppError.badRequest(
              'invalid_input',
              `Unknown field(s): ${unknown.join(', ')}; only "channel" and "packName" are read.`,
            );
          }
          if (fields.packName !== undefined) {
            const problem = packNameProblem(fields.packName);
            if (problem) throw AppError.badRequest('invalid_input', `"packName": ${problem}.`);
            packName = fields.packName;
          }
          if (fields.channel !== undefined) {
            if (!CHANNEL.test(fields.channel)) {
              throw AppError.badRequest('invalid_input', '"channel" must be a channel name (a-z, 0-9, _ and -).');
            }
            channel = fields.channel;
          }
        },
      });
      if (upload.files.length !== 1) {
        throw AppError.badRequest(
          'pack_required',
          'Attach one rule pack (a .yar file, or a ZIP or tar.gz of them) as the file part named "pack".',
        );
      }
      const [file] = upload.files;
      return this.packs.create(
        principal,
        { path: file.path, fileName: file.fileName, size: file.size, sha256: file.sha256 },
        channel,
        packName,
      );
    });
  }
}
