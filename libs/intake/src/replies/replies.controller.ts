import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { openApiSchema, parseInput, text, uuidParam } from '@sigdesk/http';
import { ReviewService } from '@sigdesk/review';
import { StorageKeys } from '@sigdesk/storage';
import { SampleIntake } from '../samples/sample-intake';

const replySchema = z.strictObject({ message: text({ max: 20_000, multiline: true }) });

@ApiTags('submissions')
@ApiBearerAuth()
@Roles('customer')
@Controller('v1/submissions')
export class RepliesController {
  constructor(
    private readonly review: ReviewService,
    private readonly samples: SampleIntake,
  ) {}

  /** The customer answers an analyst's question: JSON `{ message }`, or multipart with `sample` file parts too. */
  @Post(':id/replies')
  @HttpCode(201)
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ schema: openApiSchema(replySchema) })
  async reply(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Req() request: FastifyRequest) {
    const caseId = parseInput(uuidParam, id, 'case id');
    if (!request.isMultipart()) {
      const { message } = parseInput(replySchema, request.body, 'reply');
      await this.review.customerReply(principal, caseId, message);
      return { caseId, samplesAdded: 0 };
    }
    // before the body: a reply the case would refuse is refused before any of its samples is read
    await this.review.assertCanReply(principal, caseId);
    return this.samples.withWorkDir(async (workDir) => {
      const upload = await this.samples.read(request, workDir, { stage: true });
      const { message } = parseInput(replySchema, upload.fields, 'reply');
      const samples = await this.samples.unpack(upload.files, workDir);
      await this.samples.storeAndRecord(samples, () =>
        this.review.customerReply(
          principal,
          caseId,
          message,
          samples.map((s) => ({
            sha256: s.sha256,
            size: s.size,
            type: s.type,
            storageKey: StorageKeys.sample(s.sha256),
            fileName: s.fileName,
            archivePath: s.archivePath ?? null,
          })),
        ),
      );
      return { caseId, samplesAdded: samples.length };
    });
  }
}
