import type { CaseKind, CaseStatus, ResponseClockView } from '../../api/portal';
import { translationKey, type TranslationKey } from '../../i18n';

export const STATUS_LABELS: Record<CaseStatus, TranslationKey> = {
  received: translationKey('caseStatus.received'),
  rejected: translationKey('caseStatus.rejected'),
  queued: translationKey('caseStatus.queued'),
  in_review: translationKey('caseStatus.in_review'),
  awaiting_customer: translationKey('caseStatus.awaiting_customer'),
  confirmed: translationKey('caseStatus.confirmed'),
  not_reproduced: translationKey('caseStatus.not_reproduced'),
  declined: translationKey('caseStatus.declined'),
  fix_scheduled: translationKey('caseStatus.fix_scheduled'),
  fixed: translationKey('caseStatus.fixed'),
  closed: translationKey('caseStatus.closed'),
};

export const KIND_LABELS: Record<CaseKind, TranslationKey> = {
  false_negative: translationKey('caseKind.false_negative'),
  false_positive: translationKey('caseKind.false_positive'),
};

export const CLOCK_LABELS: Record<ResponseClockView['state'], TranslationKey> = {
  running: translationKey('responseClock.running'),
  paused: translationKey('responseClock.paused'),
  met: translationKey('responseClock.met'),
  breached: translationKey('responseClock.breached'),
  none: translationKey('responseClock.none'),
};
