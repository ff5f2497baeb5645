import { Injectable } from '@nestjs/common';
import { OrganizationsRepository, type Principal } from '@sigdesk/accounts';
import type { Case, CaseKind, CaseStatus } from '@sigdesk/db';
import { AppError, decodeCursor, encodeCursor } from '@sigdesk/http';
import { analystCaseView } from './views/analyst-case.view';
import { customerCaseView } from './views/customer-case.view';
import { CaseSearch, CasesRepository } from './cases.repository';
import { ResponseClock } from './response-clock';
import { responseClockView } from './response-clock-view';

@Injectable()
export class CasesService {
  constructor(
    private readonly cases: CasesRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly clock: ResponseClock,
  ) {}

  /** What a customer sees of cases of their organisation, each with where its response clock stands now. */
  private async customerViews(organizationId: string, found: Case[], withDetail?: Parameters<typeof customerCaseView>) {
    const organization = await this.organizations.findById(organizationId);
    const calendar = organization ? this.clock.calendarOf(organization) : undefined;
    const now = new Date();
    return found.map((c) => ({
      ...(withDetail ? customerCaseView(...withDetail) : customerCaseView(c)),
      responseClock: calendar
        ? responseClockView(c, calendar, now)
        : { state: 'none' as const, remainingWorkingSeconds: null },
    }));
  }

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
    if (principal.role !== 'customer') return analystCaseView(found, samples, events);
    const [view] = await this.customerViews(found.organization_id, [found], [found, samples, events]);
    return view;
  }

  async list(
    principal: Principal,
    query: { status?: CaseStatus; kind?: CaseKind; q?: CaseSearch; cursor?: string; limit: number },
  ) {
    const rows = await this.cases.list({
      organizationId: principal.role === 'customer' ? principal.organizationId! : undefined,
      status: query.status,
      kind: query.kind,
      search: query.q,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items:
        principal.role === 'customer'
          ? await this.customerViews(principal.organizationId!, page)
          : page.map((c) => analystCaseView(c)),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    };
  }
}
