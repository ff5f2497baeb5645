import { Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageTitle } from '../../hooks/usePageTitle';

/** A page of the analyst console: its title, what it is for, then its content (wider than the customer area's). */
export function ConsolePage({
  title,
  description,
  children,
}: {
  title: string;
  description: string;
  children?: ReactNode;
}) {
  usePageTitle(title);
  return (
    <Stack gap="lg" maw={1280}>
      <div>
        <Title order={1} size="h2">
          {title}
        </Title>
        <Text c="dimmed" mt={4}>
          {description}
        </Text>
      </div>
      {children}
    </Stack>
  );
}
