import { Anchor, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { describeTimeZone } from '../i18n/format';

/** Where times come from, and the way in for automation. */
export function Footer() {
  const { t, i18n } = useTranslation();
  return (
    <Group component="footer" justify="space-between" gap="xs" mt="xl" pt="md" c="dimmed">
      <Text size="xs" c="dimmed" data-testid="time-zone">
        {t('app.timeZone', { timeZone: describeTimeZone(i18n.language) })}
      </Text>
      <Anchor href="/docs" size="xs" c="dimmed" underline="always">
        {t('app.apiDocs')}
      </Anchor>
    </Group>
  );
}
