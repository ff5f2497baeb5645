import { Button, Paper, Stack, Text, Title } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { usePageTitle } from '../hooks/usePageTitle';

export function NotFoundPage() {
  const { t } = useTranslation();
  usePageTitle(t('notFound.pageTitle'));
  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack align="flex-start" gap="sm">
        <Text c="navy.7" fw={800} fz={48} lh={1} aria-hidden>
          {t('notFound.code')}
        </Text>
        <Title order={1} size="h2">
          {t('notFound.title')}
        </Title>
        <Text c="dimmed">{t('notFound.description')}</Text>
        <Button component={Link} to="/" mt="sm" leftSection={<IconArrowLeft size={16} aria-hidden />}>
          {t('notFound.home')}
        </Button>
      </Stack>
    </Paper>
  );
}
