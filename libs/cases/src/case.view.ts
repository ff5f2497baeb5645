import type { Case, CaseEvent } from '@sigdesk/db';
import type { CaseSampleRow } from './cases.repository';

/** The customer-facing shape of a case. */
export function caseView(c: Case, samples?: CaseSampleRow[], events?: CaseEvent[]) {
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
            by: { role: e.actor_role, keyId: e.actor_key_id },
            at: e.created_at.toISOString(),
            ...(Object.keys(e.data).length ? { data: e.data } : {}),
          })),
        }
      : {}),
  };
}

export type CaseView = ReturnType<typeof caseView>;
