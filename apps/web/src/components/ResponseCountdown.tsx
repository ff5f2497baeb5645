import { Text, type TextProps } from '@mantine/core';
import { useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { clockLook, remainingAt, type ClockLook, type CountdownClock } from '../clock/countdown';
import type { TranslationKey } from '../i18n';
import { formatWorkingDuration } from '../i18n/format';

/** One timer for every countdown on the page (a queue shows dozens): each re-renders only when its text changes. */
const listeners = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  ticker ??= setInterval(() => listeners.forEach((notify) => notify()), 1_000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
}

/** The text colour of each look, readable in both colour schemes. */
const COLORS: Record<ClockLook, string> = {
  breached: 'light-dark(var(--mantine-color-red-9), var(--mantine-color-red-3))',
  atRisk: 'light-dark(var(--mantine-color-orange-9), var(--mantine-color-orange-3))',
  fine: 'light-dark(var(--mantine-color-blue-9), var(--mantine-color-blue-3))',
  paused: 'light-dark(var(--mantine-color-yellow-9), var(--mantine-color-yellow-3))',
  met: 'light-dark(var(--mantine-color-green-9), var(--mantine-color-green-3))',
  none: 'var(--mantine-color-dimmed)',
};

/** The words of each state; `{{duration}}` is the working time left. */
export type CountdownLabels = Record<CountdownClock['state'], TranslationKey>;

/**
 * A response clock as a live countdown in working time, coloured by risk: it ticks between reads of the case for as
 * long as the API said the working hours last (see clock/countdown.ts); the page reads the case again on live
 * updates and now and then.
 */
export function ResponseCountdown({
  clock,
  readAt,
  labels,
  ...props
}: { clock: CountdownClock | undefined; readAt: number; labels: CountdownLabels } & TextProps) {
  const { t } = useTranslation();
  const current = clock ?? { state: 'none' as const, remainingWorkingSeconds: null };
  const counting = current.state === 'running' && (current.countingForSeconds ?? 0) > 0;
  // the text at this second: a string, so React re-renders only when the minute shown changes
  const snapshot = (): string => {
    const remaining = remainingAt(current, readAt, Date.now());
    return `${clockLook(current, remaining)}|${formatWorkingDuration(remaining ?? 0)}`;
  };
  const shown = useSyncExternalStore(counting ? subscribe : subscribeNever, snapshot, snapshot);
  const [look, duration] = shown.split('|') as [ClockLook, string];
  const label = look === 'breached' ? labels.breached : labels[current.state];
  return (
    <Text size="sm" {...props} style={{ color: COLORS[look] }} data-clock={look}>
      {t(label, { duration })}
    </Text>
  );
}

function subscribeNever(): () => void {
  return () => undefined;
}
