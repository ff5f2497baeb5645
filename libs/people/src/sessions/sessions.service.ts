import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Principal } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import { PasswordHasher } from '../passwords';
import type { signInSchema } from '../people.schemas';
import { SessionsRepository } from '../repositories/sessions.repository';
import { SignInFailuresRepository } from '../repositories/sign-in-failures.repository';
import { UsersRepository } from '../repositories/users.repository';
import {
  ACCOUNT_FAILURES_ALLOWED,
  ADDRESS_FAILURES_ALLOWED,
  SIGN_IN_WINDOW_MS,
  signInRetryAfterSeconds,
} from '../rules/sign-in-limits';
import { generateTotpSecret, matchTotp, otpauthUri } from '../rules/totp';
import { generateToken, hashToken } from '../rules/tokens';
import { sessionUserView } from '../user.view';

const invalidCredentials = () =>
  new AppError(HttpStatus.UNAUTHORIZED, 'invalid_credentials', 'The email or the password is not right.');

export interface SignInContext {
  address: string;
  userAgent: string | null;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly failures: SignInFailuresRepository,
    private readonly passwords: PasswordHasher,
    private readonly config: AppConfig,
  ) {}

  /**
   * Signs a person in: the cookie's value (to set) and the user. An unknown email, a disabled account and a wrong
   * password answer the same, after the same Argon2 work; failures are limited per account and per address.
   */
  async signIn(input: z.output<typeof signInSchema>, context: SignInContext, now = new Date()) {
    await this.assertNotLimited(input.email, context.address, now);

    const user = await this.users.findByEmail(input.email);
    const usable = user && user.disabled_at === null ? user : undefined;
    const passwordRight = await this.passwords.verify(usable?.password_hash ?? null, input.password);
    if (!usable || !passwordRight) {
      await this.recordFailure(input.email, context.address, now);
      throw invalidCredentials();
    }

    if (usable.totp_secret !== null) {
      if (!input.totpCode) {
        throw new AppError(
          HttpStatus.UNAUTHORIZED,
          'totp_required',
          'This account has a second factor: send the code of your authenticator app as totpCode.',
        );
      }
      const step = matchTotp(usable.totp_secret, input.totpCode, now, toNumber(usable.totp_last_step));
      if (step === null || !(await this.users.useTotpStep(usable.id, step))) {
        await this.recordFailure(input.email, context.address, now);
        throw new AppError(
          HttpStatus.UNAUTHORIZED,
          'totp_invalid',
          'This code is wrong, expired or used already: wait for the next one.',
        );
      }
    }

    await this.failures.clear('account', input.email);
    const token = generateToken();
    const totpEnrolmentOnly =
      this.config.people.requireTotpForStaff && usable.role !== 'customer' && usable.totp_secret === null;
    const session = await this.sessions.create({
      tokenHash: hashToken(token),
      userId: usable.id,
      csrfToken: randomBytes(32).toString('base64url'),
      totpEnrolmentOnly,
      idleExpiresAt: new Date(
        now.getTime() + Math.min(this.config.people.sessionIdleMs, this.config.people.sessionAbsoluteMs),
      ),
      absoluteExpiresAt: new Date(now.getTime() + this.config.people.sessionAbsoluteMs),
      address: context.address,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
    });
    return {
      token,
      maxAgeSeconds: this.config.people.sessionAbsoluteMs / 1000,
      body: {
        user: sessionUserView(usable),
        csrfToken: session.csrf_token,
        ...(totpEnrolmentOnly ? { totpEnrolmentRequired: true } : {}),
      },
    };
  }

  async current(principal: Principal) {
    const session = requireSession(principal);
    const user = await this.users.findById(principal.userId!);
    if (!user) throw notSignedIn();
    return {
      user: sessionUserView(user),
      csrfToken: session.csrfToken,
      ...(session.totpEnrolmentOnly ? { totpEnrolmentRequired: true } : {}),
    };
  }

  async signOut(principal: Principal): Promise<void> {
    await this.sessions.end(requireSession(principal).id);
  }

  async signOutEverywhere(principal: Principal): Promise<void> {
    requireSession(principal);
    await this.sessions.endAllOf(principal.userId!);
  }

  /** Starts enrolling a second factor: a new secret, shown once, on until confirmed with a code of it. */
  async startTotp(principal: Principal) {
    requireSession(principal);
    const user = await this.users.findById(principal.userId!);
    if (!user) throw notSignedIn();
    if (user.totp_secret !== null) {
      throw AppError.conflict('totp_already_enabled', 'This account has a second factor already.');
    }
    const secret = generateTotpSecret();
    await this.users.setPendingTotp(user.id, secret);
    return { secret, otpauthUri: otpauthUri({ secret, account: user.email, issuer: 'sigdesk' }) };
  }

  async confirmTotp(principal: Principal, code: string, now = new Date()) {
    const session = requireSession(principal);
    const user = await this.users.findById(principal.userId!);
    if (!user) throw notSignedIn();
    if (user.totp_secret !== null) {
      throw AppError.conflict('totp_already_enabled', 'This account has a second factor already.');
    }
    if (!user.totp_pending_secret) {
      throw AppError.conflict('totp_not_started', 'Start the enrolment first (POST /v1/sessions/current/totp).');
    }
    const step = matchTotp(user.totp_pending_secret, code, now, null);
    if (step === null || !(await this.users.enableTotp(user.id, user.totp_pending_secret, step))) {
      throw AppError.unprocessable('totp_invalid', 'This code is wrong or expired: type the current one.');
    }
    if (session.totpEnrolmentOnly) await this.sessions.endEnrolment(session.id);
    const updated = await this.users.findById(user.id);
    return { user: sessionUserView(updated!) };
  }

  private async assertNotLimited(email: string, address: string, now: Date): Promise<void> {
    const since = new Date(now.getTime() - SIGN_IN_WINDOW_MS);
    const [account, fromAddress] = await Promise.all([
      this.failures.recent('account', email, since),
      this.failures.recent('address', address, since),
    ]);
    const retryAfter = Math.max(
      signInRetryAfterSeconds(account, ACCOUNT_FAILURES_ALLOWED, now),
      signInRetryAfterSeconds(fromAddress, ADDRESS_FAILURES_ALLOWED, now),
    );
    if (retryAfter > 0) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'rate_limited',
        'Too many failed sign-ins: wait before trying again.',
        { retryAfterSeconds: retryAfter },
      );
    }
  }

  private async recordFailure(email: string, address: string, now: Date): Promise<void> {
    await this.failures.record(
      [
        { scope: 'account', subject: email },
        { scope: 'address', subject: address },
      ],
      now,
      new Date(now.getTime() - SIGN_IN_WINDOW_MS),
    );
  }
}

function toNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}

function notSignedIn() {
  return AppError.unauthorized('This request has no session: sign in first (POST /v1/sessions).');
}

function requireSession(principal: Principal) {
  if (!principal.session || !principal.userId) throw notSignedIn();
  return principal.session;
}
