import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { openApiSchema, pageLimit, parseInput, text, uuidParam, withinPageSize } from '@sigdesk/http';
import { SignatureChangesService } from './signature-changes.service';

const sha256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 in hex')
  .transform((v) => v.toLowerCase());

const proposeSchema = z.strictObject({
  type: z.enum(['add_detection', 'suppress_detection']),
  rule: text({ max: 200_000, multiline: true, trim: false }).optional(),
  sha256: sha256.optional(),
  targetRule: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a rule identifier')
    .optional(),
  reason: text({ max: 2_000, min: 0, multiline: true }).optional(),
  expiresAt: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .optional(),
});

const checkSchema = z.strictObject({
  caseId: z.uuid(),
  rule: text({ max: 200_000, multiline: true, trim: false }),
  targetRule: proposeSchema.shape.targetRule,
});

const decisionSchema = z.strictObject({ note: text({ max: 20_000, min: 0, multiline: true }).optional() });
const rejectionSchema = z.strictObject({ note: text({ max: 20_000, multiline: true, empty: 'must say why' }) });

const ruleQuerySchema = z.strictObject({
  channel: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .optional(),
});

const inboxSchema = z.strictObject({
  cursor: z.string().max(80).optional(),
  limit: pageLimit(50),
});

const feedSchema = z.strictObject({
  status: z.enum(['validating', 'validation_failed', 'validated', 'approved', 'rejected', 'built']).default('approved'),
  cursor: z.string().max(40).optional(),
  limit: pageLimit(100),
});

@ApiTags('signature changes')
@ApiBearerAuth()
@Controller('v1')
export class SignatureChangesController {
  constructor(
    private readonly changes: SignatureChangesService,
    private readonly config: AppConfig,
  ) {}

  @Post('cases/:id/signature-changes')
  @Roles('analyst')
  @HttpCode(202)
  @ApiBody({ schema: openApiSchema(proposeSchema) })
  propose(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.changes.propose(principal, parseInput(uuidParam, id, 'case id'), parseInput(proposeSchema, body));
  }

  /** The rule editor's inline check: what a proposal of this rule would be refused for, with lines and columns. */
  @Post('signature-changes/check')
  @Roles('analyst')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(checkSchema) })
  check(@Body() body: unknown) {
    const { caseId, rule, targetRule } = parseInput(checkSchema, body);
    return this.changes.check(caseId, { rule, targetRule });
  }

  @Get('signature-changes')
  @Roles('release', 'analyst', 'admin')
  feed(@Query() query: unknown) {
    const { status, cursor, limit } = withinPageSize(
      parseInput(feedSchema, query, 'query'),
      this.config.limits.pageSize,
    );
    return this.changes.feed(status, cursor, limit);
  }

  /**
   * The approvals inbox: changes whose validation passed, waiting for a second analyst, the longest waiting first.
   * `yours` marks the caller's own, which someone else approves.
   */
  @Get('signature-changes/awaiting-approval')
  @Roles('analyst')
  awaitingApproval(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const { cursor, limit } = withinPageSize(parseInput(inboxSchema, query, 'query'), this.config.limits.pageSize);
    return this.changes.awaitingApproval(principal, cursor, limit);
  }

  @Get('signature-changes/:id')
  @Roles('analyst', 'release', 'admin')
  get(@Param('id') id: string) {
    return this.changes.get(parseInput(uuidParam, id, 'change id'));
  }

  /**
   * A rule of the newest content of a channel (the one changes are proven against), with its source: what a
   * replacement starts from, and what a disable removes.
   */
  @Get('signature-rules/:name')
  @Roles('analyst', 'release', 'admin')
  rule(@Param('name') name: string, @Query() query: unknown) {
    const { channel } = parseInput(ruleQuerySchema, query, 'query');
    return this.changes.rule(
      parseInput(proposeSchema.shape.targetRule.unwrap(), name, 'rule name'),
      channel ?? this.config.releases.defaultChannel,
    );
  }

  @Post('signature-changes/:id/approve')
  @Roles('analyst')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(decisionSchema) })
  approve(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { note } = parseInput(decisionSchema, body ?? {});
    return this.changes.approve(principal, parseInput(uuidParam, id, 'change id'), note ?? null);
  }

  @Post('signature-changes/:id/reject')
  @Roles('analyst')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(rejectionSchema) })
  reject(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.changes.reject(
      principal,
      parseInput(uuidParam, id, 'change id'),
      parseInput(rejectionSchema, body).note,
    );
  }
}
