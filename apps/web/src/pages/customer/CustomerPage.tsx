import { Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageTitle } from '../../hooks/usePageTitle';

/** A page of the customer area (and of the console, wider): its title, what it is for, then its content. */
export function CustomerPage({
  title,
  description,
  children,
  maxWidth = 960,
}: {
  title: string;
  description: string;
  children?: ReactNode;
  maxWidth?: number;
}) {
  usePageTitle(title);
  return (
    <Stack gap="lg" maw={maxWidth}>
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
