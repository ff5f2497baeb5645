import { Inject, Injectable, Logger } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB } from '@sigdesk/db';
import { AppConfig } from '@sigdesk/config';
import { assertPasswordAcceptable, invalidLink } from '../invalid-link';
import { Mailer } from '../mail/mailer';
import { PasswordHasher } from '../passwords';
import { OneTimeTokensRepository } from '../repositories/one-time-tokens.repository';
import { SessionsRepository } from '../repositories/sessions.repository';
import { SignInFailuresRepository } from '../repositories/sign-in-failures.repository';
import { UsersRepository } from '../repositories/users.repository';
import { generateToken, hashToken, isTokenShaped } from '../rules/tokens';

/** One reset mail per account per minute: asking again and again does not flood the person's mailbox. */
export const RESET_MAIL_INTERVAL_MS = 60_000;

@Injectable()
export class PasswordResetsService {
  private readonly logger = new Logger(PasswordResetsService.name);

  constructor(
    @Inject(Kysely) private readonly db: Kysely<DB>,
    private readonly users: UsersRepository,
    private readonly tokens: OneTimeTokensRepository,
    private readonly sessions: SessionsRepository,
    private readonly failures: SignInFailuresRepository,
    private readonly passwords: PasswordHasher,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
  ) {}

  /**
   * Asks for a reset of `email`'s password. The caller answers before this work is done, the same whether or not
   * the email has an account: neither the answer nor its timing tells.
   */
  requestInBackground(email: string): void {
    this.request(email).catch((error: unknown) =>
      this.logger.error({ err: error }, 'a password reset could not be prepared or sent'),
    );
  }

  async request(email: string, now = new Date()): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || user.disabled_at !== null) return;
    if (await this.tokens.resetSentSince(user.id, new Date(now.getTime() - RESET_MAIL_INTERVAL_MS))) return;
    const token = generateToken();
    await this.db.transaction().execute(async (trx) => {
      await this.tokens.retireResetsOf(trx, user.id, now);
      await this.tokens.createPasswordReset(trx, {
        tokenHash: hashToken(token),
        userId: user.id,
        expiresAt: new Date(now.getTime() + this.config.people.passwordResetTtlMs),
      });
    });
    const link = `${this.config.people.publicUrl}/password-resets/${token}`;
    await this.mailer.send({
      to: user.email,
      subject: 'Reset your sigdesk password',
      link,
      text: [
        `Hello ${user.display_name},`,
        '',
        'Someone (hopefully you) asked to reset the password of your sigdesk account. Choose a new one here:',
        '',
        link,
        '',
        `The link works once, for ${Math.round(this.config.people.passwordResetTtlMs / 60_000)} minutes. Signing in`,
        'everywhere else ends when the password changes. If you did not ask, ignore this mail.',
      ].join('\n'),
    });
  }

  /** Sets the new password and ends every session of the account. */
  async complete(token: string, password: string, now = new Date()): Promise<void> {
    if (!isTokenShaped(token)) throw invalidLink();
    const tokenHash = hashToken(token);
    const open = await this.tokens.findOpenReset(tokenHash, now);
    if (!open) throw invalidLink();
    assertPasswordAcceptable(password, open.email);
    const passwordHash = await this.passwords.hash(password);
    await this.db.transaction().execute(async (trx) => {
      const userId = await this.tokens.usePasswordReset(trx, tokenHash, now);
      if (!userId) throw invalidLink();
      await this.users.setPassword(trx, userId, passwordHash);
      await this.sessions.endAllOf(userId, trx);
    });
    await this.failures.clear('account', open.email);
  }
}
