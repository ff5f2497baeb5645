import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, pageLimit, parseInput, text, uuidParam, wholeNumberText, withinPageSize } from '@sigdesk/http';
import { ReviewService } from './review.service';
import { MAX_HEX_BYTES, MAX_STRINGS_WINDOW_BYTES, SampleInspection } from './inspection/sample-inspection';
import { SampleDownloads } from './sample-download';
import { analystCaseSchema, queuePageSchema } from './review.schemas';

const queueQuerySchema = z.strictObject({
  cursor: z.string().max(400).optional(),
  limit: pageLimit(50),
  tier: z.enum(['standard', 'msa_start']).optional(),
  premium: z
    .enum(['true', 'false'], 'must be true or false')
    .transform((value) => value === 'true')
    .optional(),
  severity: wholeNumberText({ min: 1, max: 4 }).optional(),
  kind: z.enum(['false_positive', 'false_negative']).optional(),
  claimed: z
    .enum(['no', 'yes', 'any'])
    .default('no')
    .describe('no: the queued cases (the default); yes: the cases in review, with who holds them; any: both'),
});

const offset = wholeNumberText({ min: 0, max: Number.MAX_SAFE_INTEGER }).default(0);
const bytesQuerySchema = z.strictObject({
  offset,
  length: wholeNumberText({ max: MAX_HEX_BYTES }).default(4096),
});
const stringsQuerySchema = z.strictObject({
  offset,
  length: wholeNumberText({ max: MAX_STRINGS_WINDOW_BYTES }).default(MAX_STRINGS_WINDOW_BYTES),
  minLength: wholeNumberText({ min: 3, max: 64 }).default(6),
});

const responseSchema = z.strictObject({
  message: text({ max: 20_000, multiline: true }),
  awaitCustomer: z.boolean().default(false),
});

const verdictSchema = z.strictObject({
  verdict: z.enum(['confirmed', 'not_reproduced', 'declined']),
  note: text({ max: 20_000, multiline: true, empty: 'must explain the verdict' }),
  applyToGroup: z.boolean().default(false),
});

@ApiTags('review')
@ApiBearerAuth()
@Roles('analyst')
@Controller('v1')
export class ReviewController {
  constructor(
    private readonly review: ReviewService,
    private readonly downloads: SampleDownloads,
    private readonly inspection: SampleInspection,
    private readonly config: AppConfig,
  ) {}

  /** The queue in the order work must be done, filtered; with `claimed`, the cases in review and who holds them. */
  @Get('review-queue')
  @ApiOkResponse({ schema: openApiSchema(queuePageSchema) })
  queue(@Query() query: unknown) {
    const { cursor, limit, ...filter } = withinPageSize(
      parseInput(queueQuerySchema, query, 'query'),
      this.config.limits.pageSize,
    );
    return this.review.queue(cursor, limit, filter);
  }

  @Post('review-queue/claim')
  async claim(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    const claimed = await this.review.claim(principal);
    if (!claimed) void reply.status(204);
    else void reply.status(200);
    return claimed ?? undefined;
  }

  /** Claims one given case (atomic; 409 when another analyst holds it or it is not queued; idempotent for its holder). */
  @Post('cases/:id/claim')
  @HttpCode(200)
  @ApiOkResponse({ schema: openApiSchema(analystCaseSchema) })
  claimCase(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.review.claimCase(principal, parseInput(uuidParam, id, 'case id'));
  }

  @Get('cases/:id')
  @ApiOkResponse({ schema: openApiSchema(analystCaseSchema) })
  detail(@Param('id') id: string) {
    return this.review.detail(parseInput(uuidParam, id, 'case id'));
  }

  @Get('cases/:id/samples/:sha256')
  @ApiProduces('application/zip')
  async sample(@Param('id') id: string, @Param('sha256') sha256: string, @Res() reply: FastifyReply) {
    const download = await this.downloads.open(parseInput(uuidParam, id, 'case id'), sha256);
    return reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${download.fileName}"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(download.stream);
  }

  /** A sample's bytes as hex at an offset: to read a header or pick a hex pattern without downloading it. */
  @Get('cases/:id/samples/:sha256/bytes')
  bytes(@Param('id') id: string, @Param('sha256') sha256: string, @Query() query: unknown) {
    const { offset, length } = parseInput(bytesQuerySchema, query, 'query');
    return this.inspection.bytes(parseInput(uuidParam, id, 'case id'), sha256, offset, length);
  }

  /** A sample's printable strings (ASCII and UTF-16LE) with their offsets, a window at a time: to pick patterns. */
  @Get('cases/:id/samples/:sha256/strings')
  strings(@Param('id') id: string, @Param('sha256') sha256: string, @Query() query: unknown) {
    return this.inspection.strings(
      parseInput(uuidParam, id, 'case id'),
      sha256,
      parseInput(stringsQuerySchema, query, 'query'),
    );
  }

  @Post('cases/:id/responses')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(responseSchema) })
  respond(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.review.respond(principal, parseInput(uuidParam, id, 'case id'), parseInput(responseSchema, body));
  }

  @Post('cases/:id/verdict')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(verdictSchema) })
  verdict(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.review.verdict(principal, parseInput(uuidParam, id, 'case id'), parseInput(verdictSchema, body));
  }

  @Post('cases/:id/release')
  @HttpCode(200)
  release(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.review.release(principal, parseInput(uuidParam, id, 'case id'));
  }

  @Post('cases/:id/takeover')
  @HttpCode(200)
  takeOver(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.review.takeOver(principal, parseInput(uuidParam, id, 'case id'));
  }
}
