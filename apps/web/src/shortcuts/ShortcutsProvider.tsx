import { Group, Kbd, Modal, Table, Text } from '@mantine/core';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { translationKey } from '../i18n';
import { isTyping, matchShortcut, SEQUENCE_MS, type Shortcut } from './shortcuts';

interface Registry {
  add(shortcuts: Shortcut[]): () => void;
}

const ShortcutsContext = createContext<Registry | null>(null);

/** The keys of `shortcut` as the `?` list shows them: one <kbd> per key. */
function Keys({ keys }: { keys: string }) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="nowrap">
      {keys.split(' ').map((key, index) => (
        <span key={index}>
          {index > 0 && (
            <Text span size="xs" c="dimmed" mr={4}>
              {t('shortcuts.then')}
            </Text>
          )}
          <Kbd>{key}</Kbd>
        </span>
      ))}
    </Group>
  );
}

/**
 * Keyboard shortcuts for the pages below it: each page registers its own (`useShortcuts`) while it is shown, and `?`
 * lists those in force. Keys typed into a field or the rule editor are never taken.
 */
export function ShortcutsProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [helpOpen, setHelpOpen] = useState(false);
  const [registered, setRegistered] = useState<Shortcut[][]>([]);
  const pressed = useRef<{ keys: string[]; at: number }>({ keys: [], at: 0 });

  const help = useMemo<Shortcut>(
    () => ({ keys: '?', description: translationKey('shortcuts.help'), run: () => setHelpOpen((open) => !open) }),
    [],
  );
  const all = useMemo(() => [help, ...registered.flat()], [help, registered]);

  const add = useCallback((shortcuts: Shortcut[]) => {
    setRegistered((current) => [...current, shortcuts]);
    return () => setRegistered((current) => current.filter((group) => group !== shortcuts));
  }, []);
  const registry = useMemo(() => ({ add }), [add]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat || isTyping(event)) return;
      if (event.key === 'Shift' || event.key === 'Control' || event.key === 'Alt' || event.key === 'Meta') return;
      const now = Date.now();
      const before = now - pressed.current.at <= SEQUENCE_MS ? pressed.current.keys : [];
      let match = matchShortcut(all, [...before, event.key]);
      let keys = [...before, event.key];
      // a key that does not continue the sequence may start one of its own
      if (!match.shortcut && !match.pending && before.length > 0) {
        match = matchShortcut(all, [event.key]);
        keys = [event.key];
      }
      pressed.current = { keys: match.pending ? keys : [], at: now };
      if (!match.shortcut) return;
      event.preventDefault();
      match.shortcut.run();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [all]);

  return (
    <ShortcutsContext.Provider value={registry}>
      {children}
      <Modal
        opened={helpOpen}
        onClose={() => setHelpOpen(false)}
        title={t('shortcuts.title')}
        size="md"
        closeButtonProps={{ 'aria-label': t('shortcuts.close') }}
      >
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('shortcuts.keys')}</Table.Th>
              <Table.Th>{t('shortcuts.action')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {all.map((shortcut) => (
              <Table.Tr key={shortcut.keys}>
                <Table.Td>
                  <Keys keys={shortcut.keys} />
                </Table.Td>
                <Table.Td>{t(shortcut.description)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Modal>
    </ShortcutsContext.Provider>
  );
}

/**
 * Registers `shortcuts` while the calling component is shown. Pass a stable list (`useMemo`); the latest `run` of
 * each is called, so handlers may close over fresh state.
 */
export function useShortcuts(shortcuts: Shortcut[]): void {
  const registry = useContext(ShortcutsContext);
  const latest = useRef(shortcuts);
  useEffect(() => {
    latest.current = shortcuts;
  });
  const signature = shortcuts.map((shortcut) => `${shortcut.keys}\u0000${shortcut.description}`).join('\u0001');
  useEffect(() => {
    if (!registry) return;
    const stable = latest.current.map((shortcut, index) => ({
      ...shortcut,
      run: () => latest.current[index]?.run(),
    }));
    return registry.add(stable);
    // re-registered only when the keys or their descriptions change
  }, [registry, signature]);
}
