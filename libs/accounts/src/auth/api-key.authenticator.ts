import { Injectable } from '@nestjs/common';
import { AppError } from '@sigdesk/http';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import { hashApiKey } from './api-key';
import { AuthenticationRequest, Authenticator, bearerToken } from './authenticator';
import { keyPrincipal, Principal } from './principal';

/** `Authorization: Bearer <api key>`. */
@Injectable()
export class ApiKeyAuthenticator implements Authenticator {
  constructor(private readonly apiKeys: ApiKeysRepository) {}

  async authenticate(request: AuthenticationRequest): Promise<Principal | null> {
    const token = bearerToken(request.headers);
    if (token === undefined) return null;
    if (token === null) throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
    const key = await this.apiKeys.findActiveByHash(hashApiKey(token));
    if (!key) throw AppError.unauthorized('This API key is unknown or has been revoked.');
    return keyPrincipal(key);
  }
}
