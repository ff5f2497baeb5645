import { Injectable } from '@nestjs/common';
import { AppError } from '@sigdesk/http';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import { hashApiKey } from './api-key';
import type { Authenticator, CredentialSource } from './authenticator';
import type { Principal } from './principal';

/** `Authorization: Bearer <api key>`: the key's role, and its organisation for customer keys. */
@Injectable()
export class ApiKeyAuthenticator implements Authenticator {
  constructor(private readonly apiKeys: ApiKeysRepository) {}

  async authenticate(request: CredentialSource): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header === undefined) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw AppError.unauthorized('Send your API key as "Authorization: Bearer <key>".');
    const key = await this.apiKeys.findActiveByHash(hashApiKey(match[1]));
    if (!key) throw AppError.unauthorized('This API key is unknown or has been revoked.');
    return { keyId: key.id, role: key.role, organizationId: key.organization_id };
  }
}
