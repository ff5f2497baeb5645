import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Public, Roles } from '@sigdesk/accounts';
import { openApiSchema, parseInput } from '@sigdesk/http';
import { acceptInvitationSchema, invitationSchema } from '../people.schemas';
import { invitationPreviewSchema } from './invitation-preview.schema';
import { InvitationsService } from './invitations.service';

@ApiTags('people')
@Controller('v1')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** Admins invite anyone; a customer organisation's admin (in their session) invites its customers. */
  @Post('admin/users/invitations')
  @Roles('admin', 'customer')
  @ApiBody({ schema: openApiSchema(invitationSchema) })
  invite(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.invitations.invite(principal, parseInput(invitationSchema, body));
  }

  /**
   * The invited person's view of their link (public, rate limited per address as every public route): `404` for an
   * unknown link, `410 invitation_expired` or `410 invitation_used` for one that no longer works.
   */
  @Get('invitations/:token')
  @Public()
  @ApiOkResponse({ schema: openApiSchema(invitationPreviewSchema) })
  preview(@Param('token') token: string) {
    return this.invitations.preview(token);
  }

  @Post('invitations/:token/accept')
  @Public()
  @ApiBody({ schema: openApiSchema(acceptInvitationSchema) })
  accept(@Param('token') token: string, @Body() body: unknown) {
    return this.invitations.accept(token, parseInput(acceptInvitationSchema, body));
  }
}
