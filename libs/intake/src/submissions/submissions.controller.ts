import { Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { CasesService } from '@sigdesk/cases';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, pageLimit, parseInput, uuidParam, withinPageSize } from '@sigdesk/http';
import { parseIdempotencyKey } from './idempotency';
import { submissionFieldsSchema } from './submission.schema';
import { SubmissionsService } from './submissions.service';

const listQuerySchema = z.strictObject({
  status: z
    .enum([
      'received',
      'rejected',
      'queued',
      'in_review',
      'awaiting_customer',
      'confirmed',
      'not_reproduced',
      'declined',
      'fix_scheduled',
      'fixed',
      'closed',
    ])
    .optional(),
  kind: z.enum(['false_positive', 'false_negative']).optional(),
  q: z
    .string()
    .trim()
    .regex(
      /^(?:SD-\d{4}-\d{1,12}|[0-9a-f]{64})$/i,
      'must be a case reference such as SD-2026-000042 or a SHA-256 (64 hexadecimal digits)',
    )
    .transform((value) => (value.length === 64 ? { sha256: value.toLowerCase() } : { reference: value.toUpperCase() }))
    .optional(),
  cursor: z.string().max(200).optional(),
  limit: pageLimit(25),
});

const uploadBody = {
  ...openApiSchema(submissionFieldsSchema),
  description:
    'multipart/form-data: the fields below as text parts, and one or more file parts named "sample" ' +
    '(a plain file, or a ZIP protected with the password "infected").',
};

@ApiTags('submissions')
@ApiBearerAuth()
@Controller('v1/submissions')
export class SubmissionsController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly cases: CasesService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @Roles('customer')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: uploadBody })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const result = await this.submissions.submit(principal, request, parseIdempotencyKey(idempotencyKey));
    void reply.status(result.status);
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    return result.body;
  }

  @Get()
  @Roles('customer', 'analyst', 'admin')
  list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    return this.cases.list(
      principal,
      withinPageSize(parseInput(listQuerySchema, query, 'query'), this.config.limits.pageSize),
    );
  }

  @Get(':id')
  @Roles('customer', 'analyst', 'admin')
  detail(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.cases.detail(principal, parseInput(uuidParam, id, 'case id'));
  }
}
