import type { CaseStatus } from '@sigdesk/db';

/** The statuses a case may move to from each status. Anything else is refused with 409. */
export const CASE_TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  received: ['queued', 'rejected'],
  rejected: [],
  queued: ['in_review', 'fixed', 'fix_scheduled', 'closed'],
  in_review: ['queued', 'awaiting_customer', 'confirmed', 'not_reproduced', 'declined'],
  awaiting_customer: ['in_review', 'queued', 'closed'],
  confirmed: ['fix_scheduled', 'closed'],
  not_reproduced: ['closed', 'queued'],
  declined: ['closed'],
  fix_scheduled: ['fixed', 'confirmed'],
  fixed: ['closed'],
  closed: [],
};

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return CASE_TRANSITIONS[from].includes(to);
}

export const OPEN_STATUSES: readonly CaseStatus[] = [
  'received',
  'queued',
  'in_review',
  'awaiting_customer',
  'confirmed',
];
