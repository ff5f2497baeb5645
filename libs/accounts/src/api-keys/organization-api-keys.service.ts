import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { AppConfig } from '@sigdesk/config';
import type { ApiKey } from '@sigdesk/db';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { actorOf, displayPrefix, generateApiKey, hashApiKey } from '../auth/api-key';
import type { Principal } from '../auth/principal';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import type { CreatedOrganizationApiKey, OrganizationApiKey } from './organization-api-key.schema';
import type { createOrganizationApiKeySchema } from './organization-api-keys.schemas';

/** A key as its organisation sees it: never its hash, and who acted by display name only (never an actor id). */
function organizationApiKeyView(key: ApiKey): OrganizationApiKey {
  return {
    id: key.id,
    name: key.name,
    prefix: key.key_prefix,
    createdAt: key.created_at.toISOString(),
    createdBy: key.created_by_name,
    lastUsedAt: key.last_used_at?.toISOString() ?? null,
    revoked: key.revoked_at !== null,
    revokedAt: key.revoked_at?.toISOString() ?? null,
    revokedBy: key.revoked_at ? key.revoked_by_name : null,
  };
}

/**
 * A customer organisation's own API keys, managed by its admins (people with `organizationAdmin`, in their
 * session). An API key cannot list, make or revoke keys: a leaked key must not be able to mint others that outlive
 * its revocation.
 */
@Injectable()
export class OrganizationApiKeysService {
  constructor(
    private readonly apiKeys: ApiKeysRepository,
    private readonly config: AppConfig,
  ) {}

  async list(principal: Principal, query: { cursor?: string; limit: number }) {
    const organizationId = this.managedOrganization(principal);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.apiKeys.listOfOrganization({ organizationId, after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(organizationApiKeyView),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    };
  }

  async create(
    principal: Principal,
    input: z.output<typeof createOrganizationApiKeySchema>,
  ): Promise<CreatedOrganizationApiKey> {
    const organizationId = this.managedOrganization(principal);
    const limit = this.config.limits.apiKeysPerOrganization;
    const key = generateApiKey('customer');
    const stored = await this.apiKeys.createWithinLimit(limit, {
      name: input.name,
      organizationId,
      keyHash: hashApiKey(key),
      keyPrefix: displayPrefix(key),
      createdBy: actorOf(principal),
    });
    if (!stored) {
      throw AppError.unprocessable(
        'too_many_api_keys',
        `Your organization already has ${limit} API keys in use. Revoke one before making another.`,
        { limit },
      );
    }
    return { ...organizationApiKeyView(stored), key };
  }

  /** Revokes a key of the caller's organisation; another organisation's key is a 404, as one that does not exist. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const organizationId = this.managedOrganization(principal);
    const key = await this.apiKeys.findById(id);
    if (!key || key.organization_id !== organizationId) throw AppError.notFound('This API key');
    // revoking a revoked key changes nothing (and keeps who revoked it first)
    if (key.revoked_at) return;
    await this.apiKeys.revoke(id, actorOf(principal), organizationId);
  }

  /** The organisation whose keys the caller manages: a person who is an admin of their customer organisation. */
  private managedOrganization(principal: Principal): string {
    if (principal.role === 'customer' && !principal.session) {
      throw AppError.forbidden(
        "API keys cannot manage API keys: an organization's admin does it, signed in (Settings, API keys).",
      );
    }
    if (principal.role !== 'customer' || !principal.session?.organizationAdmin || !principal.organizationId) {
      throw AppError.forbidden("Only an organization's admins manage its API keys.");
    }
    return principal.organizationId;
  }
}
