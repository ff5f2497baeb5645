import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';
import type { Principal } from '../auth/principal';
import { localDate, premiumIncidents, selectActiveContract } from '../contracts/contract-rules';
import { OrganizationsRepository } from '../repositories/organizations.repository';
import type { CurrentOrganization } from './current-organization.schema';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly organizations: OrganizationsRepository,
    private readonly config: AppConfig,
  ) {}

  /** The caller's own organisation, with the contract that submissions are made under today. */
  async current(principal: Principal, now = new Date()): Promise<CurrentOrganization> {
    const organization = principal.organizationId ? await this.organizations.findById(principal.organizationId) : null;
    if (!organization) throw AppError.forbidden('The organization of this API key no longer exists.');
    const contract = selectActiveContract(
      await this.organizations.listContracts(organization.id),
      localDate(now, organization.timezone),
    );
    return {
      id: organization.id,
      name: organization.name,
      timezone: organization.timezone,
      country: organization.country,
      contract: contract
        ? {
            tier: contract.tier,
            startsOn: contract.starts_on,
            endsOn: contract.ends_on,
            ...(contract.tier === 'msa_start' ? { premiumIncidents: premiumIncidents(contract) } : {}),
          }
        : null,
      limits: {
        maxSampleBytes: this.config.limits.multipart.fileBytes,
        maxFilesPerSubmission: this.config.limits.multipart.files,
      },
    };
  }
}
