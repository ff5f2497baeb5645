import type { Kysely } from 'kysely';
import type { AppConfig } from '@sigdesk/config';
import type { DB, User } from '@sigdesk/db';
import type { Mailer } from '../mail/mailer';
import type { PasswordHasher } from '../passwords';
import type { OneTimeTokensRepository } from '../repositories/one-time-tokens.repository';
import type { SessionsRepository } from '../repositories/sessions.repository';
import type { SignInFailuresRepository } from '../repositories/sign-in-failures.repository';
import type { UsersRepository } from '../repositories/users.repository';
import { PasswordResetsService, RESET_MAIL_INTERVAL_MS } from './password-resets.service';

function aUser(overrides: Partial<User> = {}): User {
  return {
    id: 'b7c1f0a4-64c4-4b0e-8d1c-7f7a2f1e9d10',
    email: 'elena@acme.example',
    display_name: 'Elena',
    role: 'customer',
    organization_id: '5d1f7e0e-4c39-4bd2-a3f3-1c2c3d4e5f60',
    organization_admin: false,
    password_hash: '$argon2id$…',
    totp_secret: null,
    totp_pending_secret: null,
    totp_last_step: null,
    disabled_at: null,
    created_at: new Date('2026-11-01T00:00:00Z'),
    updated_at: new Date('2026-11-01T00:00:00Z'),
    ...overrides,
  };
}

describe(PasswordResetsService.name, () => {
  const now = new Date('2026-11-30T12:00:00Z');

  function setUp(options: { user?: User; sentRecently?: boolean } = {}) {
    const sent: string[] = [];
    const sinceAsked: Date[] = [];
    const created: string[] = [];
    const tokens = {
      resetSentSince: async (_: string, since: Date) => {
        sinceAsked.push(since);
        return options.sentRecently ?? false;
      },
      retireResetsOf: async () => undefined,
      createPasswordReset: async (_: unknown, input: { userId: string }) => {
        created.push(input.userId);
      },
    } as unknown as OneTimeTokensRepository;
    const db = { transaction: () => ({ execute: (work: (trx: unknown) => Promise<unknown>) => work({}) }) };
    const sut = new PasswordResetsService(
      db as unknown as Kysely<DB>,
      { findByEmail: async () => options.user } as unknown as UsersRepository,
      tokens,
      {} as SessionsRepository,
      {} as SignInFailuresRepository,
      {} as PasswordHasher,
      { send: async (mail: { to: string; link: string }) => void sent.push(mail.link) } as unknown as Mailer,
      { people: { publicUrl: 'https://sigdesk.example', passwordResetTtlMs: 3_600_000 } } as AppConfig,
    );
    return { sut, sent, created, sinceAsked };
  }

  it('mails a one-time link to an account that asks', async () => {
    const { sut, sent, created } = setUp({ user: aUser() });
    await sut.request('elena@acme.example', now);
    expect(created).toEqual([aUser().id]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^https:\/\/sigdesk\.example\/password-resets\/[A-Za-z0-9_-]{43}$/);
  });

  it('sends nothing for an unknown email or a disabled account', async () => {
    for (const user of [undefined, aUser({ disabled_at: now })]) {
      const { sut, sent, created } = setUp({ user });
      await sut.request('elena@acme.example', now);
      expect(sent).toEqual([]);
      expect(created).toEqual([]);
    }
  });

  it('sends at most one mail a minute to an account, however often someone asks', async () => {
    const { sut, sent, created, sinceAsked } = setUp({ user: aUser(), sentRecently: true });
    await sut.request('elena@acme.example', now);
    expect(sinceAsked).toEqual([new Date(now.getTime() - RESET_MAIL_INTERVAL_MS)]);
    expect(sent).toEqual([]);
    expect(created).toEqual([]);
  });
});
