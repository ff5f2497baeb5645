import type { Case, CaseEvent, Contract, Organization } from '@sigdesk/db';
import type { CaseSampleRow } from '../cases.repository';

/**
 * What analysts (and administrators) see of a case: everything on it, the timeline with who did what by key and
 * what each step recorded. Customers get {@link customerCaseView} instead, never this.
 */
export function analystCaseView(c: Case, samples?: CaseSampleRow[], events?: CaseEvent[]) {
  return {
    id: c.id,
    reference: c.reference,
    status: c.status,
    kind: c.kind,
    severity: c.severity,
    premium: c.premium,
    priority: { tier: c.tier, premium: c.premium, severity: c.severity },
    product: c.product,
    productVersion: c.product_version,
    database: { channel: c.database_channel, version: c.database_version },
    detectionName: c.detection_name,
    description: c.description,
    responseDueAt: c.response_due_at?.toISOString() ?? null,
    fixedInDatabaseVersion: c.fixed_in_database_version,
    /** while `fix_scheduled`: the database version that fixes it once published (null until a build has it) */
    fixScheduledInDatabaseVersion: c.status === 'fix_scheduled' ? c.scheduled_fix_version : null,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    ...(samples
      ? {
          samples: samples.map((s) => ({
            sha256: s.sha256,
            // null until the intake job (a reply's sample: its digest job) has computed them
            sha1: s.sha1,
            md5: s.md5,
            size: Number(s.size),
            type: s.type,
            fileName: s.file_name,
            archivePath: s.archive_path,
          })),
        }
      : {}),
    ...(events
      ? {
          timeline: events.map((e) => ({
            type: e.type,
            fromStatus: e.from_status,
            toStatus: e.to_status,
            by: e.actor_user_id
              ? { role: e.actor_role, userId: e.actor_user_id, name: e.actor_name }
              : { role: e.actor_role, keyId: e.actor_key_id },
            at: e.created_at.toISOString(),
            ...(Object.keys(e.data).length ? { data: e.data } : {}),
          })),
        }
      : {}),
  };
}

export type AnalystCaseView = ReturnType<typeof analystCaseView>;

/** A case of the review (`GET /v1/cases/:id`): the case, its customer and contract, its clock, verdict and group. */
export function analystCaseDetail(detail: {
  case: Case;
  samples: CaseSampleRow[];
  events: CaseEvent[];
  organization: Organization | undefined;
  contract: Contract | undefined;
  group: Array<Pick<Case, 'id' | 'reference' | 'status'>>;
}) {
  const { case: found, organization, contract } = detail;
  return {
    ...analystCaseView(found, detail.samples, detail.events),
    customer: organization && {
      id: organization.id,
      name: organization.name,
      timezone: organization.timezone,
      country: organization.country,
    },
    contract: contract && {
      id: contract.id,
      tier: contract.tier,
      startsOn: contract.starts_on,
      endsOn: contract.ends_on,
    },
    assignedTo: found.assigned_to,
    firstResponseAt: found.first_response_at?.toISOString() ?? null,
    sla: {
      responseDueAt: found.response_due_at?.toISOString() ?? null,
      paused: found.sla_paused_at !== null,
      warnedAt: found.sla_warned_at?.toISOString() ?? null,
      breachedAt: found.sla_breached_at?.toISOString() ?? null,
    },
    verdict: found.verdict && {
      verdict: found.verdict,
      note: found.verdict_note,
      at: found.verdict_at?.toISOString(),
    },
    group: {
      id: found.group_id ?? found.id,
      cases: detail.group.map((c) => ({ id: c.id, reference: c.reference, status: c.status })),
    },
  };
}
