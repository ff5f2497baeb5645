import { Injectable } from '@nestjs/common';
import type { Principal } from '@sigdesk/accounts';
import type { Case, CaseKind, CaseStatus } from '@sigdesk/db';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { analystCaseView } from './views/analyst-case.view';
import { customerCaseView } from './views/customer-case.view';
import { CasesRepository } from './cases.repository';

@Injectable()
export class CasesService {
  constructor(private readonly cases: CasesRepository) {}

  /** A case the caller may see; another organisation's case is a 404, so its existence is not revealed. */
  async visibleCase(principal: Principal, id: string): Promise<Case> {
    const found = await this.cases.findById(id);
    if (!found || (principal.role === 'customer' && found.organization_id !== principal.organizationId)) {
      throw AppError.notFound('This case');
    }
    return found;
  }

  async detail(principal: Principal, id: string) {
    const found = await this.visibleCase(principal, id);
    const [samples, events] = await Promise.all([this.cases.samplesOf(id), this.cases.eventsOf(id)]);
    return principal.role === 'customer'
      ? customerCaseView(found, samples, events)
      : analystCaseView(found, samples, events);
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
