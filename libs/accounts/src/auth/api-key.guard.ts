import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import { hashApiKey } from './api-key';
import { AuthenticatedRequest, PUBLIC_ROUTE, ROLES } from './auth.decorators';

/** Global guard: every route needs a valid `Authorization: Bearer <key>` unless marked {@link Public}. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
    }
    const key = await this.apiKeys.findActiveByHash(hashApiKey(match[1]));
    if (!key) throw AppError.unauthorized('This API key is unknown or has been revoked.');
    request.principal = { keyId: key.id, role: key.role, organizationId: key.organization_id };

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(key.role)) {
      throw AppError.forbidden(`This route is for ${roles.join(' or ')} keys; yours is a ${key.role} key.`);
    }
    return true;
  }
}
