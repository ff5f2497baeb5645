import type { CaseStatus } from '../../api/portal';
import type { CountdownLabels } from '../../components/ResponseCountdown';
import { translationKey, type TranslationKey } from '../../i18n';

/** The response clock in the analysts' words (the customer's say "we"). */
export const CONSOLE_CLOCK_LABELS: CountdownLabels = {
  running: translationKey('consoleClock.running'),
  paused: translationKey('consoleClock.paused'),
  met: translationKey('consoleClock.met'),
  breached: translationKey('consoleClock.breached'),
  none: translationKey('consoleClock.none'),
};

/** A case's status in the analysts' words (the customer's say "waiting for you"). */
export const CONSOLE_STATUS_LABELS: Record<CaseStatus, TranslationKey> = {
  received: translationKey('consoleStatus.received'),
  rejected: translationKey('consoleStatus.rejected'),
  queued: translationKey('consoleStatus.queued'),
  in_review: translationKey('consoleStatus.in_review'),
  awaiting_customer: translationKey('consoleStatus.awaiting_customer'),
  confirmed: translationKey('consoleStatus.confirmed'),
  not_reproduced: translationKey('consoleStatus.not_reproduced'),
  declined: translationKey('consoleStatus.declined'),
  fix_scheduled: translationKey('consoleStatus.fix_scheduled'),
  fixed: translationKey('consoleStatus.fixed'),
  closed: translationKey('consoleStatus.closed'),
};

export const TIER_LABELS: Record<'msa_start' | 'standard', TranslationKey> = {
  msa_start: translationKey('queuePage.tier.msa_start'),
  standard: translationKey('queuePage.tier.standard'),
};

/** How long ago `since` was, in wall-clock time: `2 d 3 h`, `3 h 20 m`, `45 m` (whatever the language). */
export function formatAge(since: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - new Date(since).getTime()) / 60_000));
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days > 0) return `${days} d ${hours % 24} h`;
  return hours > 0 ? `${hours} h ${minutes % 60} m` : `${minutes} m`;
}
