import { HttpStatus, Injectable } from '@nestjs/common';
import type { AuthenticationRequest, Authenticator, Principal } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { SessionsRepository } from '../repositories/sessions.repository';
import { readCookie, SESSION_COOKIE } from '../rules/cookies';
import { hashToken, isTokenShaped, sameSecret } from '../rules/tokens';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The idle deadline moves at most this often: a busy page does not write to the database on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export const CSRF_HEADER = 'x-csrf-token';

const csrfInvalid = (message: string) => new AppError(HttpStatus.FORBIDDEN, 'csrf_invalid', message);

/**
 * A person's session, from its cookie. Requests with an `Authorization` header are not cookie-authenticated (the
 * API key authenticator answers them). A state-changing request must carry the session's CSRF token in
 * `X-CSRF-Token`, and, when it says where it comes from (`Origin`), come from sigdesk's own origin.
 */
@Injectable()
export class SessionAuthenticator implements Authenticator {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly config: AppConfig,
  ) {}

  async authenticate(request: AuthenticationRequest, now = new Date()): Promise<Principal | null> {
    if (request.headers.authorization !== undefined) return null;
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token || !isTokenShaped(token)) return null;
    const session = await this.sessions.findLive(hashToken(token), now);
    if (!session) return null;

    if (STATE_CHANGING.has(request.method.toUpperCase())) {
      if (!this.sameOrigin(request.headers)) {
        throw csrfInvalid('This request comes from another site: it is refused.');
      }
      const given = request.headers[CSRF_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, session.csrf_token)) {
        throw csrfInvalid('Send the session\'s CSRF token (csrfToken of GET /v1/sessions/current) as "X-CSRF-Token".');
      }
    }

    if (now.getTime() - session.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) {
      const idle = new Date(
        Math.min(now.getTime() + this.config.people.sessionIdleMs, session.absolute_expires_at.getTime()),
      );
      await this.sessions.touch(session.id, now, idle);
    }

    return {
      role: session.user.role,
      organizationId: session.user.organization_id,
      keyId: null,
      userId: session.user_id,
      displayName: session.user.display_name,
      actorId: session.user_id,
      session: {
        id: session.id,
        csrfToken: session.csrf_token,
        organizationAdmin: session.user.organization_admin,
        totpEnrolmentOnly: session.totp_enrolment_only,
      },
    };
  }

  /** No `Origin` (same-origin GETs, older clients): nothing to check. Else sigdesk's public origin or its own host. */
  private sameOrigin(headers: AuthenticationRequest['headers']): boolean {
    const origin = headers.origin;
    if (origin === undefined) return true;
    if (typeof origin !== 'string') return false;
    if (origin === new URL(this.config.people.publicUrl).origin) return true;
    const host = headers.host;
    return typeof host === 'string' && (origin === `http://${host}` || origin === `https://${host}`);
  }
}
