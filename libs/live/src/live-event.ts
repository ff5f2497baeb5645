import type { Principal } from '@sigdesk/accounts';

/**
 * What PostgreSQL tells of a change (the triggers of migration 0061): what changed and whose it is, never how. A
 * client that cares reads the case, change or build again through the API, with its own rights.
 */
export type LiveEvent =
  | { type: 'case.changed'; caseId: string; organizationId: string; event: string }
  | { type: 'change.changed'; changeId: string; caseId: string; status: string }
  | { type: 'build.changed'; channel: string; version: number; status: string; stage: string }
  /** notifications may have been missed (the listening connection was lost): read everything again */
  | { type: 'resync' };

/** A notification's payload as a LiveEvent, or null when it is not one. */
export function parseLiveEvent(payload: string | undefined): LiveEvent | null {
  try {
    const value = JSON.parse(payload ?? '') as Record<string, unknown>;
    const text = (key: string) => typeof value[key] === 'string';
    switch (value.type) {
      case 'case.changed':
        return text('caseId') && text('organizationId') && text('event') ? (value as LiveEvent) : null;
      case 'change.changed':
        return text('changeId') && text('caseId') && text('status') ? (value as LiveEvent) : null;
      case 'build.changed':
        return text('channel') && typeof value.version === 'number' && text('status') ? (value as LiveEvent) : null;
      default:
        return null;
    }
  } catch {
    return null;
  }
}

/**
 * What a caller is told, field by field: a customer hears of their organisation's cases only, and only which case
 * changed (the kind of event could tell what analysts do before the customer may see it); the vendor's staff hear
 * of every case, change and build their role reads.
 */
export function eventFor(principal: Principal, event: LiveEvent): Record<string, unknown> | null {
  if (event.type === 'resync') return { type: 'resync' };
  switch (principal.role) {
    case 'customer':
      return event.type === 'case.changed' && event.organizationId === principal.organizationId
        ? { type: 'case.changed', caseId: event.caseId }
        : null;
    case 'release':
      return event.type === 'case.changed' ? null : { ...event };
    case 'analyst':
    case 'admin':
      return event.type === 'case.changed'
        ? { type: event.type, caseId: event.caseId, event: event.event }
        : { ...event };
    default:
      return null;
  }
}
