import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { Contract } from '@sigdesk/db';
import { AppError } from '@sigdesk/http';
import { actorOf, displayPrefix, generateApiKey, hashApiKey } from '../auth/api-key';
import type { Principal } from '../auth/principal';
import { premiumAllowance, premiumIncidents } from '../contracts/contract-rules';
import { ApiKeysRepository } from '../repositories/api-keys.repository';
import { OrganizationsRepository } from '../repositories/organizations.repository';
import type { createApiKeySchema, createContractSchema, createOrganizationSchema } from './admin.schemas';

export function contractView(contract: Contract) {
  return {
    id: contract.id,
    organizationId: contract.organization_id,
    tier: contract.tier,
    startsOn: contract.starts_on,
    endsOn: contract.ends_on,
    ...(contract.tier === 'msa_start' ? { premiumIncidents: premiumIncidents(contract) } : {}),
    createdAt: contract.created_at,
  };
}

@Injectable()
export class AdminService {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async createOrganization(input: z.output<typeof createOrganizationSchema>) {
    const organization = await this.organizations.create(input);
    return {
      id: organization.id,
      name: organization.name,
      timezone: organization.timezone,
      country: organization.country,
    };
  }

  async createContract(organizationId: string, input: z.output<typeof createContractSchema>) {
    await this.requireOrganization(organizationId);
    const contract = await this.organizations.createContract({
      organizationId,
      tier: input.tier,
      startsOn: input.startsOn,
      endsOn: input.endsOn,
      premiumTotal: premiumAllowance(input.tier),
    });
    return contractView(contract);
  }

  async listContracts(organizationId: string) {
    await this.requireOrganization(organizationId);
    return { items: (await this.organizations.listContracts(organizationId)).map(contractView) };
  }

  async createApiKey(principal: Principal, input: z.output<typeof createApiKeySchema>) {
    if (input.organizationId) await this.requireOrganization(input.organizationId);
    const key = generateApiKey(input.role);
    const stored = await this.apiKeys.create({
      name: input.name,
      role: input.role,
      organizationId: input.organizationId ?? null,
      keyHash: hashApiKey(key),
      keyPrefix: displayPrefix(key),
      createdBy: actorOf(principal),
    });
    return { id: stored.id, key, role: stored.role, organizationId: stored.organization_id, name: stored.name };
  }

  async revokeApiKey(principal: Principal, id: string): Promise<void> {
    if (!(await this.apiKeys.revoke(id, actorOf(principal)))) throw AppError.notFound('This API key');
  }

  private async requireOrganization(id: string) {
    const organization = await this.organizations.findById(id);
    if (!organization) throw AppError.notFound('This organization');
    return organization;
  }
}
