import type { Case, CaseEvent, CaseStatus, Verdict } from '@sigdesk/db';
import type { CaseStatusFacts } from '@sigdesk/notifications';
import type { CaseSampleRow } from '../cases.repository';

/**
 * What a customer sees of a case: the API's answers (`POST /v1/submissions`, `GET /v1/submissions[/:id]`, the
 * idempotent replay) and the webhooks' status changes. Built field by field from their own case, never by
 * passing stored event data through: what the analysts record on a timeline (other cases of a group, the note of
 * a verdict given to a whole group, analysts' key ids and emails, triage details, signature changes) stays with
 * them; a person who acted shows by their display name. So
 * nothing a customer gets tells whether another organisation sent the same file: a verdict that reached a case
 * with its group reads exactly as one given to it alone.
 */

/** What a verdict tells the customer; the analyst's note is the analysts' record (one note may serve a group). */
const VERDICT_MESSAGES: Record<Verdict, string> = {
  confirmed:
    'An analyst reproduced the problem you reported. A signature change follows; you will be told when it ships.',
  not_reproduced:
    'An analyst could not reproduce the problem with the samples and database version given. Submit again with more detail if it persists.',
  declined: 'An analyst reviewed the request and declined it: no signature change will be made.',
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const whole = (value: unknown): number | undefined => (Number.isInteger(value) ? (value as number) : undefined);

/** `facts` without the names whose value is missing (or not of its type). */
function defined<T extends object>(facts: T): T {
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as T;
}

/**
 * The facts of a status change that its customer gets, on the timeline and in the webhook: chosen by the status
 * it moves to, each of its type, from what the code that moved it recorded.
 */
export function customerStatusFacts(
  from: CaseStatus | null,
  to: CaseStatus,
  data: Record<string, unknown> = {},
): CaseStatusFacts {
  switch (to) {
    case 'queued':
      // a new submission; a case going back to the queue (released, timed out, answered) says nothing more
      return from === 'received'
        ? defined({ databaseVersion: whole(data.databaseVersion), samples: whole(data.samples) })
        : {};
    case 'awaiting_customer':
      return defined({ message: text(data.message) });
    case 'confirmed':
    case 'not_reproduced':
    case 'declined':
      // back to confirmed after a failed build is not a verdict
      return data.verdict === to ? { verdict: to, message: VERDICT_MESSAGES[to] } : {};
    case 'fix_scheduled':
      return defined({ scheduledDatabaseVersion: whole(data.scheduledDatabaseVersion), message: text(data.message) });
    case 'fixed':
      return defined({ fixedInDatabaseVersion: whole(data.fixedInDatabaseVersion), message: text(data.message) });
    default:
      return {};
  }
}

/** What the customer gets of one timeline event, or null for the analysts' own events. */
function customerEventData(event: CaseEvent): Record<string, unknown> | null {
  const data = event.data;
  switch (event.type) {
    case 'status_changed':
      return event.to_status ? { ...customerStatusFacts(event.from_status, event.to_status, data) } : {};
    case 'question':
    case 'response':
      return defined({ message: text(data.message) });
    case 'customer_reply':
      return defined({
        message: text(data.message),
        samplesAdded: Array.isArray(data.samplesAdded)
          ? data.samplesAdded.filter((s) => typeof s === 'string')
          : undefined,
      });
    case 'intake_completed':
      return defined({ samplesVerified: whole(data.samplesVerified) });
    case 'fix_built':
      return defined({ databaseVersion: whole(data.databaseVersion) });
    case 'sla_warning':
    case 'sla_breached':
      return defined({ responseDueAt: text(data.responseDueAt) });
    default:
      // reassignments and signature changes: the analysts' work, not the customer's
      return null;
  }
}

function customerTimeline(events: CaseEvent[]) {
  return events.flatMap((event) => {
    const data = customerEventData(event);
    if (data === null) return [];
    return [
      {
        type: event.type,
        fromStatus: event.from_status,
        toStatus: event.to_status,
        // who, as a role and a person's display name: emails, ids and keys are not the customer's to see
        by: event.actor_name ? { role: event.actor_role, name: event.actor_name } : { role: event.actor_role },
        at: event.created_at.toISOString(),
        ...(Object.keys(data).length ? { data } : {}),
      },
    ];
  });
}

/**
 * A sample as its customer sees it: its SHA-256, size and type (PRODUCT.md). Not its SHA-1 and MD5, which analysts'
 * tools use: they are computed by the intake job of the first case that brought the file, so a file another
 * organisation sent first would have them at once where one nobody sent has them only after this case's intake, and
 * telling the two apart is what a customer must not be able to do.
 */
function customerSampleView(sample: CaseSampleRow) {
  return {
    sha256: sample.sha256,
    size: Number(sample.size),
    type: sample.type,
    fileName: sample.file_name,
    archivePath: sample.archive_path,
  };
}

/** A case as its customer sees it; with its samples and timeline when given (a detail), without (a list). */
export function customerCaseView(c: Case, samples?: CaseSampleRow[], events?: CaseEvent[]) {
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
    ...(samples ? { samples: samples.map(customerSampleView) } : {}),
    ...(events ? { timeline: customerTimeline(events) } : {}),
  };
}

export type CustomerCaseView = ReturnType<typeof customerCaseView>;
