import { AppShell, Burger, Group, NavLink } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { Brand } from '../components/Brand';
import { Footer } from '../components/Footer';
import { LanguageSwitcher } from '../components/LanguageSwitcher';
import { MAIN_CONTENT_ID, SkipLink } from '../components/SkipLink';
import { useSession } from '../hooks/session';
import { useLiveUpdates } from '../live/live-updates';
import { RequireSession } from '../routes/RequireSession';
import { ColorSchemeToggle } from '../components/ColorSchemeToggle';
import { ShortcutsProvider } from '../shortcuts/ShortcutsProvider';
import { isStaff, sectionsOf } from './sections';
import classes from './main.module.css';
import { UserMenu } from './UserMenu';

function SignedInShell() {
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
            <ColorSchemeToggle />
            {session && <UserMenu user={session.user} />}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar
        p="sm"
        component="nav"
        aria-label={session && isStaff(session.user.role) ? t('nav.consoleLabel') : t('nav.label')}
      >
        {(session ? sectionsOf(session.user) : []).map(({ path, label, icon: SectionIcon }) => (
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
        ))}
      </AppShell.Navbar>
      <AppShell.Main id={MAIN_CONTENT_ID} ref={main} tabIndex={-1} className={classes.main}>
        <Outlet />
        <Footer />
      </AppShell.Main>
    </AppShell>
  );
}

/**
 * Every page of a signed-in person: the customer area for customers, the console for the vendor's analysts, release
 * engineers and admins. Each role sees the sections its API calls allow; the keyboard shortcuts (`?`) work throughout.
 */
export function SignedInLayout() {
  return (
    <RequireSession>
      <ShortcutsProvider>
        <SignedInShell />
      </ShortcutsProvider>
    </RequireSession>
  );
}
