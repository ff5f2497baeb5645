import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import type { Contract, ContractTier, DB, Organization } from '@sigdesk/db';

@Injectable()
export class OrganizationsRepository {
  constructor(@Inject(Kysely) private readonly db: Kysely<DB>) {}

  create(input: {
    name: string;
    timezone: string;
    country: string;
    workingDays?: number[];
    workStart?: string;
    workEnd?: string;
  }): Promise<Organization> {
    return this.db
      .insertInto('organizations')
      .values({
        name: input.name,
        timezone: input.timezone,
        country: input.country,
        working_days: input.workingDays ? [...new Set(input.workingDays)].sort() : undefined,
        work_start: input.workStart,
        work_end: input.workEnd,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<Organization | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  createContract(input: {
    organizationId: string;
    tier: ContractTier;
    startsOn: string;
    endsOn: string;
    premiumTotal: number;
  }): Promise<Contract> {
    return this.db
      .insertInto('contracts')
      .values({
        organization_id: input.organizationId,
        tier: input.tier,
        starts_on: input.startsOn,
        ends_on: input.endsOn,
        premium_total: input.premiumTotal,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  listContracts(organizationId: string): Promise<Contract[]> {
    return this.db
      .selectFrom('contracts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('starts_on', 'desc')
      .execute();
  }

  /**
   * Spends one premium incident of a contract, atomically: the conditional UPDATE takes the row lock, so
   * concurrent submissions are serialised and the allowance is never exceeded. Returns false when none is left.
   */
  async consumePremiumIncident(trx: Transaction<DB>, contractId: string): Promise<boolean> {
    const result = await trx
      .updateTable('contracts')
      .set((eb) => ({ premium_used: eb('premium_used', '+', 1) }))
      .where('id', '=', contractId)
      .whereRef('premium_used', '<', 'premium_total')
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
