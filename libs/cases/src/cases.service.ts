import { Injectable } from '@nestjs/common';
import type { Principal } from '@sigdesk/accounts';
import type { Case, CaseKind, CaseStatus, DB } from '@sigdesk/db';
import type { Kysely } from 'kysely';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { analystCaseView } from './views/analyst-case.view';
import { customerCaseView } from './views/customer-case.view';
import { CasesRepository } from './cases.repository';

@Injectable()
export class CasesService {
  constructor(private readonly cases: CasesRepository) {}

  /** A case the caller may see; another organisation's case is a 404, so its existence is not revealed. */
  async visibleCase(principal: Principal, id: string, executor?: Kysely<DB>): Promise<Case> {
    const found = await this.cases.findById(id, executor);
    if (!found || (principal.role === 'customer' && found.organization_id !== principal.organizationId)) {
      throw AppError.notFound('This case');
    }
    return found;
  }

  async detail(principal: Principal, id: string) {
    // one snapshot: the case row and its timeline read apart could disagree (a breach event without breachedAt)
    return this.cases.snapshot(async (trx) => {
      const found = await this.visibleCase(principal, id, trx);
      const samples = await this.cases.samplesOf(id, trx);
      const events = await this.cases.eventsOf(id, trx);
      return principal.role === 'customer'
        ? customerCaseView(found, samples, events)
        : analystCaseView(found, samples, events);
    });
  }

  async list(principal: Principal, query: { status?: CaseStatus; kind?: CaseKind; cursor?: string; limit: number }) {
    const rows = await this.cases.list({
      organizationId: principal.role === 'customer' ? principal.organizationId! : undefined,
      status: query.status,
      kind: query.kind,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((c) => (principal.role === 'customer' ? customerCaseView(c) : analystCaseView(c))),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    };
  }
}
