import { Injectable, OnModuleInit } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** Argon2id (`@node-rs/argon2`: 19 MiB, 2 passes, OWASP's minimum), the PHC string stored. */
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** A hash of nothing anyone knows, verified against when an email has no account, so that both take as long. */
  private dummyHash = '';

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(24).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  /** Whether `password` is the one of `stored`; with no stored hash, the same work against a dummy one, then false. */
  async verify(stored: string | null, password: string): Promise<boolean> {
    if (stored === null) {
      await verify(this.dummyHash, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
