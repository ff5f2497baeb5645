import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Principal } from '@sigdesk/accounts';
import { OrganizationsRepository } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import type { DB, Invitation } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { assertPasswordAcceptable, invalidLink } from '../invalid-link';
import { Mailer } from '../mail/mailer';
import { PasswordHasher } from '../passwords';
import type { acceptInvitationSchema, invitationSchema } from '../people.schemas';
import { OneTimeTokensRepository } from '../repositories/one-time-tokens.repository';
import { UsersRepository } from '../repositories/users.repository';
import { generateToken, hashToken, isTokenShaped } from '../rules/tokens';
import { sessionUserView } from '../user.view';
import type { InvitationPreview } from './invitation-preview.schema';

function invitationView(invitation: Invitation, emailSent: boolean) {
  return {
    id: invitation.id,
    email: invitation.email,
    displayName: invitation.display_name,
    role: invitation.role,
    organizationId: invitation.organization_id,
    organizationAdmin: invitation.organization_admin,
    expiresAt: invitation.expires_at.toISOString(),
    createdAt: invitation.created_at.toISOString(),
    /** false where no SMTP server is configured (the link is then logged, outside production) or sending failed */
    emailSent,
  };
}

@Injectable()
export class InvitationsService {
  private readonly logger = new Logger(InvitationsService.name);

  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    private readonly tokens: OneTimeTokensRepository,
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly passwords: PasswordHasher,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
  ) {}

  /**
   * Invites a person: an admin invites anyone; a customer organisation's admin (a person, in their session) invites
   * customers of their own organisation only.
   */
  async invite(principal: Principal, input: z.output<typeof invitationSchema>, now = new Date()) {
    const invitation = this.authorised(principal, input);
    if (invitation.organizationId && !(await this.organizations.findById(invitation.organizationId))) {
      throw AppError.notFound('This organization');
    }
    if (principal.role === 'admin' && (await this.users.findByEmail(invitation.email))) {
      throw AppError.conflict('user_exists', 'This email has an account already.');
    }
    const token = generateToken();
    const created = await this.tokens.createInvitation({
      ...invitation,
      tokenHash: hashToken(token),
      invitedBy: principal.actorId,
      expiresAt: new Date(now.getTime() + this.config.people.invitationTtlMs),
    });
    const link = `${this.config.people.publicUrl}/invitations/${token}`;
    const emailSent = await this.mail(created, link);
    return invitationView(created, emailSent);
  }

  /**
   * What an invitation's link is for, read by the invited person before they choose a password. Unlike the
   * acceptance, which answers one `410 link_invalid` for every link that does not work, this tells an unknown link
   * (`404`) from an expired (`410 invitation_expired`) or used one (`410 invitation_used`): the page says what to do
   * next (ask for a new invitation, or sign in). A link is 256 random bits, so the difference helps nobody guess one.
   */
  async preview(token: string, now = new Date()): Promise<InvitationPreview> {
    const invitation = isTokenShaped(token)
      ? await this.tokens.findInvitationWithOrganization(hashToken(token))
      : undefined;
    if (!invitation) throw AppError.notFound('This invitation');
    if (invitation.accepted_at) {
      throw new AppError(
        HttpStatus.GONE,
        'invitation_used',
        'This invitation has been used already: its account exists. Sign in, or reset the password if it is forgotten.',
      );
    }
    if (invitation.expires_at <= now) {
      throw new AppError(
        HttpStatus.GONE,
        'invitation_expired',
        'This invitation has expired. Ask the person who invited you for a new one.',
        { expiredAt: invitation.expires_at.toISOString() },
      );
    }
    return {
      email: invitation.email,
      displayName: invitation.display_name,
      role: invitation.role,
      organizationName: invitation.organization_name,
      organizationAdmin: invitation.organization_admin,
      expiresAt: invitation.expires_at.toISOString(),
    };
  }

  /** Accepts an invitation: the account, with the password chosen. */
  async accept(token: string, input: z.output<typeof acceptInvitationSchema>, now = new Date()) {
    if (!isTokenShaped(token)) throw invalidLink();
    const tokenHash = hashToken(token);
    const open = await this.tokens.findOpenInvitation(tokenHash, now);
    if (!open) throw invalidLink();
    assertPasswordAcceptable(input.password, open.email);
    const passwordHash = await this.passwords.hash(input.password);

    const user = await this.db.transaction().execute(async (trx) => {
      const invitation = await this.tokens.lockOpenInvitation(trx, tokenHash, now);
      if (!invitation) throw invalidLink();
      const created = await this.users.create(trx, {
        email: invitation.email,
        displayName: input.displayName ?? invitation.display_name,
        role: invitation.role,
        organizationId: invitation.organization_id,
        organizationAdmin: invitation.organization_admin,
        passwordHash,
      });
      if (!created) throw AppError.conflict('user_exists', 'This email has an account already: sign in instead.');
      await this.tokens.acceptInvitation(trx, invitation.id, created.id, now);
      return created;
    });
    return { user: sessionUserView(user) };
  }

  private authorised(principal: Principal, input: z.output<typeof invitationSchema>) {
    const organizationAdmin = input.organizationAdmin ?? false;
    if (principal.role === 'admin') {
      if ((input.role === 'customer') !== (input.organizationId !== undefined)) {
        throw AppError.badRequest('invalid_input', 'organizationId is required for customers and only for them.', {
          fields: [{ field: 'organizationId', problem: 'is required for customers and not allowed for other roles' }],
        });
      }
      if (organizationAdmin && input.role !== 'customer') {
        throw AppError.badRequest('invalid_input', 'organizationAdmin is for customers only.', {
          fields: [{ field: 'organizationAdmin', problem: 'is for customers only' }],
        });
      }
      return { ...input, organizationId: input.organizationId ?? null, organizationAdmin };
    }
    if (principal.role !== 'customer' || !principal.session?.organizationAdmin) {
      throw AppError.forbidden("Only admins and an organization's admins invite people.");
    }
    if (input.role !== 'customer' || (input.organizationId && input.organizationId !== principal.organizationId)) {
      throw AppError.forbidden("An organization's admin invites customers of their own organization only.");
    }
    return { ...input, organizationId: principal.organizationId, organizationAdmin };
  }

  private async mail(invitation: Invitation, link: string): Promise<boolean> {
    const hours = Math.round(this.config.people.invitationTtlMs / 3_600_000);
    try {
      await this.mailer.send({
        to: invitation.email,
        subject: 'Your sigdesk account',
        link,
        text: [
          `Hello ${invitation.display_name},`,
          '',
          'You are invited to sigdesk, the signature change requests service. Choose your password here:',
          '',
          link,
          '',
          `The link works once, for ${hours} hours.`,
        ].join('\n'),
      });
      return this.config.people.smtpUrl !== undefined;
    } catch (error) {
      this.logger.error({ err: error, invitationId: invitation.id }, 'the invitation mail could not be sent');
      return false;
    }
  }
}
