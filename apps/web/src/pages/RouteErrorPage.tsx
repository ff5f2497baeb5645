import { Button, Container, Paper, Stack, Text, Title } from '@mantine/core';
import { IconRefresh } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { usePageTitle } from '../hooks/usePageTitle';

/** A page that failed to load or to render; most often a page file of a version replaced since. */
export function RouteErrorPage() {
  const { t } = useTranslation();
  usePageTitle(t('routeError.pageTitle'));
  return (
    <Container size={480} py="xl">
      <Paper withBorder shadow="sm" radius="lg" p="xl" component="main">
        <Stack align="flex-start" gap="sm">
          <Title order={1} size="h2">
            {t('routeError.title')}
          </Title>
          <Text c="dimmed">{t('routeError.description')}</Text>
          <Button mt="sm" leftSection={<IconRefresh size={16} aria-hidden />} onClick={() => window.location.reload()}>
            {t('routeError.reload')}
          </Button>
        </Stack>
      </Paper>
    </Container>
  );
}
