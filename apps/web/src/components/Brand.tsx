import { Group, Text, ThemeIcon, UnstyledButton } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

/** The product's name and what it is for, linking to the start page. */
export function Brand() {
  const { t } = useTranslation();
  return (
    <UnstyledButton component={Link} to="/">
      <Group gap="xs" wrap="nowrap">
        <ThemeIcon size="lg" radius="md" variant="filled" aria-hidden>
          <IconShieldCheck size={22} />
        </ThemeIcon>
        <div>
          <Text fw={700} size="lg" lh={1.1}>
            {t('app.name')}
          </Text>
          <Text size="xs" c="dimmed" lh={1.1} visibleFrom="xs">
            {t('app.tagline')}
          </Text>
        </div>
      </Group>
    </UnstyledButton>
  );
}
