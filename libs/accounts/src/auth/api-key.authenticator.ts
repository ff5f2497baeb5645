import { Injectable } from '@nestjs/common';
import { AppError } from '@sigdesk/http';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import { hashApiKey } from './api-key';
import { AuthenticationRequest, Authenticator, bearerToken } from './authenticator';
import { keyPrincipal, Principal } from './principal';

/** A key's last use moves at most this often: a busy script does not write to the database on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * `Authorization: Bearer <api key>`. The key's row is read on every request, with no cache: a revoked key is
 * refused from the request after the revocation's commit on.
 */
@Injectable()
export class ApiKeyAuthenticator implements Authenticator {
  constructor(private readonly apiKeys: ApiKeysRepository) {}

  async authenticate(request: AuthenticationRequest, now = new Date()): Promise<Principal | null> {
    const token = bearerToken(request.headers);
    if (token === undefined) return null;
    if (token === null) throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
    const key = await this.apiKeys.findActiveByHash(hashApiKey(token));
    if (!key) throw AppError.unauthorized('This API key is unknown or has been revoked.');
    if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() >= TOUCH_INTERVAL_MS) {
      await this.apiKeys.touch(key.id, now, TOUCH_INTERVAL_MS);
    }
    return keyPrincipal(key);
  }
}
