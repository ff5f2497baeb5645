import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@sigdesk/db';
import type { Principal } from './principal';

export const PUBLIC_ROUTE = 'sigdesk:public';
export const ROLES = 'sigdesk:roles';
export const DURING_TOTP_ENROLMENT = 'sigdesk:during-totp-enrolment';

/**
 * Who may reach a route, in its Fastify route config (`request.routeOptions.config.access`), where the HTTP layer
 * reads it before the body and before Nest: `credentials` (the default: every route without it), `public` (marked
 * {@link Public}), `web` (the web app's files: public, and not counted against an address's rate limit).
 */
export type RouteAccess = 'credentials' | 'public' | 'web';
export interface AccessRouteConfig {
  access?: RouteAccess;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

function markPublic(handler: object): void {
  Reflect.defineMetadata(PUBLIC_ROUTE, true, handler);
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as AccessRouteConfig;
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, access: 'public' }, handler);
}

/**
 * No credentials needed (health, metrics, docs). On a class, every route of the class: each method is marked too,
 * because Fastify's route config (which the request admission reads) is made from the method alone.
 */
export const Public = (): ClassDecorator & MethodDecorator =>
  ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      markPublic(descriptor.value as object);
      return descriptor;
    }
    Reflect.defineMetadata(PUBLIC_ROUTE, true, target);
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name !== 'constructor' && typeof method === 'function') markPublic(method);
    }
  }) as ClassDecorator & MethodDecorator;

/** The roles allowed on a route (to keys and sessions alike); without it, any principal is allowed. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** Reachable by a session that must enrol a second factor before anything else (the enrolment, sign-out). */
export const DuringTotpEnrolment = () => SetMetadata(DURING_TOTP_ENROLMENT, true);

/**
 * `principal`: resolved before the body is read (the request admission, with the same authenticators as the
 * guard); `null` when the request carries no credentials, `undefined` when nothing has looked yet.
 */
export type AuthenticatedRequest = FastifyRequest & { principal?: Principal | null };

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
