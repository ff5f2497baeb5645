import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@sigdesk/db';
import type { Principal } from './principal';

export const PUBLIC_ROUTE = 'sigdesk:public';
export const ROLES = 'sigdesk:roles';
export const DURING_TOTP_ENROLMENT = 'sigdesk:during-totp-enrolment';

/** No credentials needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The roles allowed on a route (to keys and sessions alike); without it, any principal is allowed. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** Reachable by a session that must enrol a second factor before anything else (the enrolment, sign-out). */
export const DuringTotpEnrolment = () => SetMetadata(DURING_TOTP_ENROLMENT, true);

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
