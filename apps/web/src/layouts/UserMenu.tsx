import { Avatar, Button, Menu, Text } from '@mantine/core';
import { IconChevronDown, IconLogout, IconLogout2, IconShieldLock } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { signOut, type SessionUser } from '../api/session';
import { forgetSession } from '../hooks/session';
import classes from './UserMenu.module.css';

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('');
}

/** Who is signed in, and the way out. (A role="menu" holds menu items only: no label or email inside.) */
export function UserMenu({ user }: { user: SessionUser }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const leave = useMutation({
    mutationFn: (everywhere: boolean) => signOut(undefined, everywhere),
    onSettled: () => {
      // signed out on this page whatever the API answered: the cookie may already be gone
      forgetSession(queryClient);
      void navigate('/sign-in', { replace: true });
    },
  });
  return (
    // no focus placeholder: a focusable element without a role may not sit in a role="menu" (axe)
    <Menu position="bottom-end" width={260} withInitialFocusPlaceholder={false}>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          leftSection={
            <Avatar size="sm" color="navy" aria-hidden>
              {initials(user.displayName)}
            </Avatar>
          }
          rightSection={<IconChevronDown size={14} aria-hidden className={classes.chevron} />}
        >
          {/* the name stays for screen readers where a phone has no room to show it */}
          <Text size="sm" fw={500} span className={classes.name}>
            {user.displayName}
          </Text>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item component={Link} to="/account" leftSection={<IconShieldLock size={16} aria-hidden />}>
          {t('nav.account')}
        </Menu.Item>
        <Menu.Item leftSection={<IconLogout size={16} aria-hidden />} onClick={() => leave.mutate(false)}>
          {t('nav.signOut')}
        </Menu.Item>
        <Menu.Item leftSection={<IconLogout2 size={16} aria-hidden />} onClick={() => leave.mutate(true)}>
          {t('nav.signOutEverywhere')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
