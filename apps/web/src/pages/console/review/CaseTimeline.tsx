import { Box, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { AnalystCase } from '../../../api/review';
import { translationKey, type TranslationKey } from '../../../i18n';
import { formatDateTime } from '../../../i18n/format';
import { CONSOLE_STATUS_LABELS } from '../console-labels';

type Event = AnalystCase['timeline'][number];

const EVENT_TITLES: Record<string, TranslationKey> = {
  question: translationKey('reviewCase.timeline.event.question'),
  response: translationKey('reviewCase.timeline.event.response'),
  customer_reply: translationKey('reviewCase.timeline.event.customer_reply'),
  intake_completed: translationKey('reviewCase.timeline.event.intake_completed'),
  fix_built: translationKey('reviewCase.timeline.event.fix_built'),
  sla_warning: translationKey('reviewCase.timeline.event.sla_warning'),
  sla_breached: translationKey('reviewCase.timeline.event.sla_breached'),
  reassigned: translationKey('reviewCase.timeline.event.reassigned'),
};

const ACTORS: Record<string, TranslationKey> = {
  customer: translationKey('reviewCase.timeline.by.customer'),
  analyst: translationKey('reviewCase.timeline.by.analyst'),
  system: translationKey('reviewCase.timeline.by.system'),
  admin: translationKey('reviewCase.timeline.by.admin'),
  release: translationKey('reviewCase.timeline.by.release'),
};

function Entry({ event }: { event: Event }) {
  const { t, i18n } = useTranslation();
  const title =
    event.type === 'status_changed' && event.toStatus
      ? t('reviewCase.timeline.statusChanged', { status: t(CONSOLE_STATUS_LABELS[event.toStatus]) })
      : EVENT_TITLES[event.type]
        ? t(EVENT_TITLES[event.type]!)
        : t('reviewCase.timeline.event.other', { type: event.type });
  const role = t(ACTORS[event.by.role] ?? ACTORS.system!);
  const who = event.by.name ? `${event.by.name} (${role})` : role;
  const data = event.data ?? {};
  const text = [data.message, data.note, data.reason].find((value) => typeof value === 'string') as string | undefined;
  return (
    <Box
      component="li"
      pl="md"
      style={{ borderLeft: '2px solid var(--mantine-color-default-border)', listStyle: 'none' }}
    >
      <Text fw={600}>{title}</Text>
      <Text size="sm" c="dimmed">
        <time dateTime={event.at}>{formatDateTime(event.at, i18n.language)}</time> · {who}
      </Text>
      {text && (
        <Text size="sm" mt={4} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {text}
        </Text>
      )}
    </Box>
  );
}

/** Every step of the case, newest first, with who took it. */
export function CaseTimeline({ found }: { found: AnalystCase }) {
  const { t } = useTranslation();
  const events = [...found.timeline].reverse();
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="timeline-heading">
      <Title order={2} size="h4" id="timeline-heading" mb="md">
        {t('reviewCase.timeline.heading')}
      </Title>
      <Stack component="ol" gap="md" m={0} p={0} data-testid="timeline">
        {events.map((event, index) => (
          <Entry key={`${event.at}-${event.type}-${index}`} event={event} />
        ))}
      </Stack>
    </Paper>
  );
}
