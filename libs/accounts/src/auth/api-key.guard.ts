import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { AuthenticatedRequest, PUBLIC_ROUTE, ROLES } from './auth.decorators';
import { RequestAuthentication } from './authenticator';

/**
 * Global guard: every route needs credentials unless marked {@link Public}, and the role {@link Roles} names. The
 * caller is the one the HTTP layer resolved before reading the body; only a request that skipped it is resolved here
 * (by the same code).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: RequestAuthentication,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.principal === undefined) request.principal = await this.authentication.authenticate(request);
    const principal = request.principal;
    if (!principal) throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>".');

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) {
      throw AppError.forbidden(`This route is for ${roles.join(' or ')} keys; yours is a ${principal.role} key.`);
    }
    return true;
  }
}
