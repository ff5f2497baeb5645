import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './principal';

/** What an authenticator reads of a request: its headers, and its cookies once a cookie parser has read them. */
export interface CredentialSource {
  headers: IncomingHttpHeaders;
  cookies?: { [name: string]: string | undefined };
}

/**
 * Turns one kind of credentials (an API key, a person's session cookie) into the {@link Principal} they name.
 * Answers `null` when the request carries none of its kind, and throws `AppError.unauthorized` when it carries
 * some that name nobody (unknown, revoked, expired, malformed): that is a failed authentication.
 */
export interface Authenticator {
  authenticate(request: CredentialSource): Promise<Principal | null>;
}

/** The authenticators a request is tried with, in order: the first one that names a principal wins. */
export const AUTHENTICATORS = Symbol('AUTHENTICATORS');

/**
 * Who is calling: the one way a request's caller is resolved, before its body is read (the HTTP layer's admission
 * hook) and, when that did not run, by the guard.
 */
@Injectable()
export class RequestAuthentication {
  constructor(@Inject(AUTHENTICATORS) private readonly authenticators: Authenticator[]) {}

  async authenticate(request: CredentialSource): Promise<Principal | null> {
    for (const authenticator of this.authenticators) {
      const principal = await authenticator.authenticate(request);
      if (principal) return principal;
    }
    return null;
  }
}
