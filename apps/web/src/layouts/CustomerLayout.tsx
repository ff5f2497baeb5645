import { AppShell, Burger, Group, NavLink } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconListDetails, IconSettings, IconUpload, IconUsers, type Icon } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { Brand } from '../components/Brand';
import { Footer } from '../components/Footer';
import { LanguageSwitcher } from '../components/LanguageSwitcher';
import { MAIN_CONTENT_ID, SkipLink } from '../components/SkipLink';
import type { TranslationKey } from '../i18n';
import { translationKey } from '../i18n';
import { useSession } from '../hooks/session';
import { useLiveUpdates } from '../live/live-updates';
import { RequireSession } from '../routes/RequireSession';
import { UserMenu } from './UserMenu';

const SECTIONS: Array<{ path: string; label: TranslationKey; icon: Icon; organizationAdmins?: true }> = [
  { path: '/submit', label: translationKey('nav.submit'), icon: IconUpload },
  { path: '/cases', label: translationKey('nav.cases'), icon: IconListDetails },
  { path: '/users', label: translationKey('nav.users'), icon: IconUsers, organizationAdmins: true },
  { path: '/settings', label: translationKey('nav.settings'), icon: IconSettings },
];

function CustomerShell() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const { data: session } = useSession();
  useLiveUpdates(Boolean(session));
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(location.pathname);

  // another page: the navigation folds away (phones) and the keyboard and screen readers start at its content,
  // as after a page load
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    close();
    main.current?.focus();
  }, [location.pathname, close]);

  return (
    <AppShell
      header={{ height: 64 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <SkipLink />
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.toggle')} />
            <Brand />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LanguageSwitcher />
            {session && <UserMenu user={session.user} />}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" component="nav" aria-label={t('nav.label')}>
        {SECTIONS.filter((section) => !section.organizationAdmins || session?.user.organizationAdmin === true).map(
          ({ path, label, icon: SectionIcon }) => (
            <NavLink
              key={path}
              component={RouterLink}
              to={path}
              label={t(label)}
              leftSection={<SectionIcon size={18} aria-hidden />}
              active={location.pathname === path || location.pathname.startsWith(`${path}/`)}
              fw={500}
              mb={4}
            />
          ),
        )}
      </AppShell.Navbar>
      <AppShell.Main id={MAIN_CONTENT_ID} ref={main} tabIndex={-1} bg="gray.0">
        <Outlet />
        <Footer />
      </AppShell.Main>
    </AppShell>
  );
}

/** The customer area: only for a signed-in person. */
export function CustomerLayout() {
  return (
    <RequireSession>
      <CustomerShell />
    </RequireSession>
  );
}
