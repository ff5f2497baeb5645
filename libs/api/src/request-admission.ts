import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateRequest, AuthenticatedRequest, Authenticator, RouteAccess } from '@sigdesk/accounts';
import { AppError, replyWithError } from '@sigdesk/http';
import { RateLimited, RateLimiter } from './rate-limits/rate-limiter';

/** Operations' routes: never rate limited (a load balancer or Prometheus polls them from one address). */
const NEVER_LIMITED = new Set(['/health/live', '/health/ready', '/metrics']);

/** Paths of the API and its operations; a `web` route (the web app's catch-all) answers them with a 404. */
const SERVER_PATHS = /^\/(?:v1|health|docs|metrics)(?:\/|$)/;

/**
 * Who may reach the route a request matched: `credentials` unless the route says otherwise (see
 * {@link RouteAccess}); a request that matched no route is answered 404 by the API, and counts as public.
 */
function routeAccess(request: FastifyRequest): RouteAccess {
  if (request.is404) return 'public';
  const access = request.routeOptions.config?.access ?? 'credentials';
  if (access === 'web' && SERVER_PATHS.test(request.url.split('?', 1)[0])) return 'public';
  return access;
}

/**
 * Admits each request before its body is read: resolves its caller (the same authenticators as the guard, which
 * then takes `request.principal` as it is), refuses a request to a route that needs credentials without
 * valid ones (`401`, the body unread; the connection closes when the body has not arrived), and applies the rate
 * limits (`429 rate_limited` with `Retry-After`):
 * - a request with valid credentials counts against its API key, or its person for a session
 *   (`SIGDESK_RATE_LIMIT_PER_KEY`);
 * - a request with credentials that name nobody counts against its address's failed authentications
 *   (`SIGDESK_RATE_LIMIT_FAILED_AUTH_PER_ADDRESS`), only: the valid keys of other clients behind the same address
 *   (a company's NAT) keep working;
 * - any other request (public routes, none of credentials) counts against its address
 *   (`SIGDESK_RATE_LIMIT_PER_ADDRESS`), except the web app's files (a page load fetches many) and the operations'
 *   routes, never limited.
 * Every answer is in the API's error shape, whatever plugin registered the route.
 */
export function admitRequests(
  fastify: FastifyInstance,
  services: { authenticators: Authenticator[]; limiter: RateLimiter },
): void {
  const { authenticators, limiter } = services;

  fastify.addHook('onRequest', async (request: AuthenticatedRequest, reply: FastifyReply) => {
    try {
      if (NEVER_LIMITED.has(request.routeOptions.url ?? '')) return;
      // a socket already closed has no address left (fastify reads it from the socket)
      const address = (request.ip as string | undefined) ?? 'unknown';
      const access = routeAccess(request);
      if (access === 'web') return;
      if (access === 'public') {
        const limited = await limiter.forAddress(address);
        if (limited) return rateLimited(reply, limited);
        return;
      }

      let principal;
      try {
        principal = await authenticateRequest(authenticators, request);
      } catch (error) {
        if (!(error instanceof AppError && error.getStatus() === 401)) throw error;
        const limited = await limiter.forFailedAuthentication(address);
        return limited ? rateLimited(reply, limited) : replyWithError(request, reply, error);
      }
      if (!principal) {
        const limited = await limiter.forAddress(address);
        if (limited) return rateLimited(reply, limited);
        return replyWithError(
          request,
          reply,
          AppError.unauthorized('Send your API key as "Authorization: Bearer <key>", or sign in.'),
        );
      }
      request.principal = principal;
      const limited = await limiter.forPrincipal(principal);
      if (limited) return rateLimited(reply, limited);
    } catch (error) {
      return replyWithError(request, reply, error);
    }
  });
}

const BUCKET_WORDS: Record<RateLimited['bucket'], string> = {
  key: 'requests with these credentials',
  address: 'requests without credentials from your address',
  failed_auth: 'failed authentications from your address',
};

function rateLimited(reply: FastifyReply, limited: RateLimited): FastifyReply {
  return reply
    .status(429)
    .header('retry-after', String(limited.retryAfterSeconds))
    .header('content-type', 'application/json; charset=utf-8')
    .send({
      error: 'rate_limited',
      message:
        `Too many ${BUCKET_WORDS[limited.bucket]}: at most ${limited.limit} every ${limited.windowSeconds} s. ` +
        `Try again in ${limited.retryAfterSeconds} s.`,
      retryAfterSeconds: limited.retryAfterSeconds,
      limit: limited.limit,
      windowSeconds: limited.windowSeconds,
    });
}
