import { AppShell, Container, Group } from '@mantine/core';
import { Outlet } from 'react-router';
import { Brand } from '../components/Brand';
import { Footer } from '../components/Footer';
import { LanguageSwitcher } from '../components/LanguageSwitcher';
import { MAIN_CONTENT_ID, SkipLink } from '../components/SkipLink';
import classes from './main.module.css';

/** Pages for anyone: the sign-in page, "not found". */
export function PublicLayout() {
  return (
    <AppShell header={{ height: 64 }} padding="md">
      <SkipLink />
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Brand />
          <LanguageSwitcher />
        </Group>
      </AppShell.Header>
      <AppShell.Main id={MAIN_CONTENT_ID} tabIndex={-1} className={classes.main}>
        <Container size={480} py="xl">
          <Outlet />
          <Footer />
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
