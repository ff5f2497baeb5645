import { Paper, Title } from '@mantine/core';
import { useId, type ReactNode } from 'react';

/** A titled card of a page: a region that screen readers list by its title. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby={headingId}>
      <Title order={2} size="h4" mb="md" id={headingId}>
        {title}
      </Title>
      {children}
    </Paper>
  );
}
