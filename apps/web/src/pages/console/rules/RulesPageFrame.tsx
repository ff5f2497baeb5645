import { Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { usePageTitle } from '../../../hooks/usePageTitle';

/** A page of the rules' part of the console: its title, what it is for, then its content. */
export function RulesPageFrame({
  title,
  description,
  children,
  width = 1200,
}: {
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  width?: number;
}) {
  usePageTitle(title);
  return (
    <Stack gap="lg" maw={width}>
      <div>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description && (
          <Text c="dimmed" mt={4}>
            {description}
          </Text>
        )}
      </div>
      {children}
    </Stack>
  );
}
