import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { authenticateRequest, AUTHENTICATORS, Authenticator } from './authenticator';
import { AuthenticatedRequest, DURING_TOTP_ENROLMENT, PUBLIC_ROUTE, ROLES } from './auth.decorators';

/**
 * Global guard: every route needs a principal (an API key, or a person's session) unless marked {@link Public}, and
 * {@link Roles} apply to both alike: a session has exactly the rights of an API key of the same role.
 */
@Injectable()
export class PrincipalGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATORS) private readonly authenticators: Authenticator[],
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // the request admission (before the body) has resolved it already; only a request that skipped it is resolved here
    const principal = request.principal ?? (await authenticateRequest(this.authenticators, request));
    if (!principal) {
      throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>", or sign in.');
    }
    request.principal = principal;

    if (principal.session?.totpEnrolmentOnly && !this.reflector.getAllAndOverride(DURING_TOTP_ENROLMENT, targets)) {
      throw new AppError(
        HttpStatus.FORBIDDEN,
        'totp_enrolment_required',
        'Staff accounts need a second factor: enrol one (POST /v1/sessions/current/totp) before anything else.',
      );
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      const what = principal.session ? 'account' : 'key';
      throw AppError.forbidden(
        `This route is for ${roles.join(' or ')} ${what}s; yours is a ${principal.role} ${what}.`,
      );
    }
    return true;
  }
}
