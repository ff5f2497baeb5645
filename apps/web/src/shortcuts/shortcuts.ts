import type { TranslationKey } from '../i18n';

/** A key that does something on the page that registered it. */
export interface Shortcut {
  /** `KeyboardEvent.key` as typed: "n", "c", "?", "ArrowDown"; "g q" is two keys, one after the other. */
  keys: string;
  /** What it does, for the `?` list. */
  description: TranslationKey;
  run: () => void;
}

/** How long the second key of a sequence ("g q") may follow the first. */
export const SEQUENCE_MS = 1_000;

/**
 * Whether a key press belongs to what the person is typing in, rather than to the page: text fields, selects, the
 * rule editor (contenteditable), and any press with Ctrl, Alt or Meta (the browser's and the system's own keys).
 */
export function isTyping(event: Pick<KeyboardEvent, 'target' | 'ctrlKey' | 'altKey' | 'metaKey'>): boolean {
  if (event.ctrlKey || event.altKey || event.metaKey) return true;
  const target = event.target as { closest?: (selector: string) => unknown; isContentEditable?: boolean } | null;
  if (!target || typeof target.closest !== 'function') return false;
  if (target.isContentEditable) return true;
  return Boolean(
    target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], [role="textbox"]'),
  );
}

/**
 * The shortcut that `pressed` (the keys typed so far, the last one last) completes, if any; `pending` is true when
 * they are the start of a longer one, so the next key is awaited instead.
 */
export function matchShortcut(
  shortcuts: readonly Shortcut[],
  pressed: readonly string[],
): { shortcut?: Shortcut; pending: boolean } {
  const typed = pressed.join(' ');
  const shortcut = shortcuts.find((candidate) => candidate.keys === typed);
  if (shortcut) return { shortcut, pending: false };
  return { pending: shortcuts.some((candidate) => candidate.keys.startsWith(`${typed} `)) };
}
