import { Injectable } from '@nestjs/common';
import { OrganizationsRepository, type Principal } from '@sigdesk/accounts';
import type { Case, CaseKind, CaseStatus, DB } from '@sigdesk/db';
import type { Kysely } from 'kysely';
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

  /** Where customer cases' response clocks stand now, by their organisation's business calendar. */
  private async responseClocks(organizationId: string, found: Case[]) {
    const organization = await this.organizations.findById(organizationId);
    const calendar = organization ? this.clock.calendarOf(organization) : undefined;
    const now = new Date();
    return found.map((c) =>
      calendar
        ? responseClockView(c, calendar, now)
        : { state: 'none' as const, remainingWorkingSeconds: null, countingForSeconds: 0 },
    );
  }

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
    const { found, samples, events } = await this.cases.snapshot(async (trx) => {
      const found = await this.visibleCase(principal, id, trx);
      return { found, samples: await this.cases.samplesOf(id, trx), events: await this.cases.eventsOf(id, trx) };
    });
    if (principal.role !== 'customer') return analystCaseView(found, samples, events);
    const [responseClock] = await this.responseClocks(found.organization_id, [found]);
    return { ...customerCaseView(found, samples, events), responseClock };
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
          ? await this.responseClocks(principal.organizationId!, page).then((clocks) =>
              page.map((c, i) => ({ ...customerCaseView(c), responseClock: clocks[i] })),
            )
          : page.map((c) => analystCaseView(c)),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    };
  }
}
