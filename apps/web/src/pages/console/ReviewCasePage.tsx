import { Alert, Anchor, Badge, Box, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { fetchAnalystCase, reviewQueryKeys, type AnalystCase } from '../../api/review';
import { ResponseCountdown } from '../../components/ResponseCountdown';
import { useSession } from '../../hooks/session';
import { translationKey, type TranslationKey } from '../../i18n';
import { formatDate, formatDateTime } from '../../i18n/format';
import { consoleQueueCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { useShortcuts } from '../../shortcuts/ShortcutsProvider';
import { KIND_LABELS } from '../customer/case-labels';
import { CONSOLE_CLOCK_LABELS, CONSOLE_STATUS_LABELS, TIER_LABELS } from './console-labels';
import { CustomerPage } from '../customer/CustomerPage';

/** The console's pages are wider than the customer area's: tables of many columns. */
const CONSOLE_WIDTH = 1280;
import { CaseActions } from './review/CaseActions';
import { CaseTimeline } from './review/CaseTimeline';
import { ClaimPanel, useClaimAction } from './review/ClaimPanel';
import { SamplesTable } from './review/SamplesTable';

/** Live updates refresh the case as it changes; this catches a lost stream and the working hours starting. */
const REFRESH_MS = 60_000;

const CLOCK_STATES: Record<AnalystCase['responseClock']['state'], TranslationKey> = {
  running: translationKey('reviewCase.clock.running'),
  paused: translationKey('reviewCase.clock.paused'),
  met: translationKey('reviewCase.clock.met'),
  breached: translationKey('reviewCase.clock.breached'),
  none: translationKey('reviewCase.clock.none'),
};

/** A malformed id is refused as a bad request: to the person, no such case either. */
function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 400);
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="sm" c="dimmed" component="dt">
        {label}
      </Text>
      <Text component="dd" m={0} style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

function ClockPanel({ found, readAt }: { found: AnalystCase; readAt: number }) {
  const { t, i18n } = useTranslation();
  const clock = found.responseClock;
  const due = found.sla.responseDueAt;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="clock-heading">
      <Title order={2} size="h4" id="clock-heading">
        {t('reviewCase.clock.heading')}
      </Title>
      <Group gap="sm" mt={4} align="baseline">
        <Text fw={600} data-testid="clock-state">
          {t(CLOCK_STATES[clock.state])}
        </Text>
        {clock.state !== 'none' && (
          <ResponseCountdown
            clock={clock}
            readAt={readAt}
            labels={CONSOLE_CLOCK_LABELS}
            size="lg"
            fw={700}
            data-testid="case-countdown"
          />
        )}
      </Group>
      {due && (clock.state === 'running' || clock.state === 'paused') && (
        <Text size="sm" c="dimmed">
          {t('reviewCase.clock.due', { date: formatDateTime(due, i18n.language) })}
        </Text>
      )}
      {due && clock.state === 'breached' && (
        <Text size="sm" c="dimmed">
          {t('reviewCase.clock.dueWas', { date: formatDateTime(due, i18n.language) })}
        </Text>
      )}
      {found.firstResponseAt && (
        <Text size="sm" c="dimmed">
          {t('reviewCase.clock.respondedAt', { date: formatDateTime(found.firstResponseAt, i18n.language) })}
        </Text>
      )}
    </Paper>
  );
}

function Report({ found }: { found: AnalystCase }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="report-heading">
      <Title order={2} size="h4" id="report-heading" mb="sm">
        {t('reviewCase.report.heading')}
      </Title>
      <Box
        component="dl"
        m={0}
        style={{
          display: 'grid',
          gap: 'var(--mantine-spacing-sm)',
          gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))',
        }}
      >
        <Fact label={t('reviewCase.report.organization')}>{found.customer?.name ?? '—'}</Fact>
        <Fact label={t('reviewCase.report.contract')}>
          {found.contract
            ? t('reviewCase.report.contractTerm', {
                tier: t(TIER_LABELS[found.contract.tier]),
                startsOn: formatDate(found.contract.startsOn, locale, 'UTC'),
                endsOn: formatDate(found.contract.endsOn, locale, 'UTC'),
              })
            : '—'}
        </Fact>
        <Fact label={t('reviewCase.report.timezone')}>
          {found.customer ? `${found.customer.timezone} (${found.customer.country})` : '—'}
        </Fact>
        <Fact label={t('reviewCase.report.product')}>{found.product}</Fact>
        <Fact label={t('reviewCase.report.productVersion')}>{found.productVersion}</Fact>
        <Fact label={t('reviewCase.report.database')}>
          {t('reviewCase.report.databaseValue', { version: found.database.version, channel: found.database.channel })}
        </Fact>
        {found.detectionName && <Fact label={t('reviewCase.report.detectionName')}>{found.detectionName}</Fact>}
        <Fact label={t('reviewCase.report.submitted')}>{formatDateTime(found.createdAt, locale)}</Fact>
      </Box>
      <Text size="sm" c="dimmed" mt="sm">
        {t('reviewCase.report.description')}
      </Text>
      <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="case-description">
        {found.description}
      </Text>
    </Paper>
  );
}

function GroupCases({ found }: { found: AnalystCase }) {
  const { t } = useTranslation();
  const others = found.group.cases.filter((c) => c.id !== found.id);
  if (others.length === 0) return null;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="group-heading">
      <Title order={2} size="h4" id="group-heading" mb="xs">
        {t('reviewCase.group.heading')}
      </Title>
      <Stack gap={2}>
        {others.map((other) => (
          <Text size="sm" key={other.id}>
            <Anchor component={Link} to={`/review/${other.id}`} underline="always">
              {other.reference}
            </Anchor>{' '}
            · {t(CONSOLE_STATUS_LABELS[other.status])}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}

function CaseView({ found, readAt }: { found: AnalystCase; readAt: number }) {
  const { t } = useTranslation();
  const { data: session } = useSession();
  const myId = session?.user.id;
  const mine = found.claim?.holder.id === myId;
  const claim = useClaimAction(found);
  const ask = useRef<HTMLTextAreaElement>(null);
  const answer = useRef<HTMLTextAreaElement>(null);
  const verdict = useRef<HTMLInputElement>(null);
  const download = useRef<HTMLAnchorElement>(null);
  const fields = useMemo(() => ({ ask, respond: answer, verdict }), []);

  const shortcuts = useMemo(
    () => [
      { keys: 'a', description: translationKey('reviewCase.shortcut.ask'), run: () => ask.current?.focus() },
      { keys: 'r', description: translationKey('reviewCase.shortcut.respond'), run: () => answer.current?.focus() },
      { keys: 'v', description: translationKey('reviewCase.shortcut.verdict'), run: () => verdict.current?.focus() },
      { keys: 'd', description: translationKey('reviewCase.shortcut.download'), run: () => download.current?.click() },
      {
        keys: 'c',
        description: translationKey('reviewCase.shortcut.claim'),
        run: () => {
          if (found.status === 'queued' && !claim.isPending) claim.mutate('claim');
        },
      },
    ],
    [found.status, claim],
  );
  useShortcuts(shortcuts);

  return (
    <>
      <Group gap="xs" role="group" aria-label={t('reviewCase.summary')}>
        <Badge size="lg" variant="light" c="var(--mantine-color-text)" data-testid="case-status">
          {t(CONSOLE_STATUS_LABELS[found.status])}
        </Badge>
        <Badge size="lg" variant="light" color="grape" c="var(--mantine-color-text)">
          {t(TIER_LABELS[found.priority.tier])}
        </Badge>
        {found.premium && (
          <Badge size="lg" variant="light" color="grape" c="var(--mantine-color-text)">
            {t('reviewCase.premium')}
          </Badge>
        )}
        <Badge size="lg" variant="light" color="gray" c="var(--mantine-color-text)">
          {t('reviewCase.severity', { severity: found.severity })}
        </Badge>
        <Badge size="lg" variant="light" color="gray" c="var(--mantine-color-text)">
          {t(KIND_LABELS[found.kind])}
        </Badge>
      </Group>
      <Box
        style={{
          display: 'grid',
          gap: 'var(--mantine-spacing-lg)',
          gridTemplateColumns: 'repeat(auto-fit, minmax(360px, 1fr))',
        }}
      >
        <ClockPanel found={found} readAt={readAt} />
        <ClaimPanel found={found} myId={myId} action={claim} />
      </Box>
      <CaseActions found={found} mine={mine} fields={fields} />
      <Report found={found} />
      <SamplesTable found={found} firstDownload={download} />
      <GroupCases found={found} />
      <CaseTimeline found={found} />
    </>
  );
}

export function ReviewCasePage() {
  usePageCatalog(consoleQueueCatalog);
  const { t } = useTranslation();
  const { caseId = '' } = useParams();
  const found = useQuery({
    queryKey: reviewQueryKeys.case(caseId),
    queryFn: () => fetchAnalystCase(caseId),
    refetchInterval: (query) => (query.state.error && isNotFound(query.state.error) ? false : REFRESH_MS),
    retry: (failures, error) => !isNotFound(error) && failures < 2,
  });

  const back = (
    <Group>
      <Button component={Link} to="/queue" variant="subtle" leftSection={<IconArrowLeft size={16} aria-hidden />}>
        {t('reviewCase.backToQueue')}
      </Button>
    </Group>
  );
  if (found.error && isNotFound(found.error)) {
    return (
      <CustomerPage
        maxWidth={CONSOLE_WIDTH}
        title={t('reviewCase.notFound.title')}
        description={t('reviewCase.notFound.description')}
      >
        {back}
      </CustomerPage>
    );
  }
  const failure = found.error ? describeError(found.error) : undefined;
  return (
    <CustomerPage
      maxWidth={CONSOLE_WIDTH}
      title={found.data ? t('reviewCase.title', { reference: found.data.reference }) : t('app.loading')}
      description={t('reviewCase.description')}
    >
      {failure && !found.data && (
        <Alert color="red" role="alert">
          {t(failure.key, failure.values)}
        </Alert>
      )}
      {found.data && <CaseView found={found.data} readAt={found.dataUpdatedAt} />}
      {back}
    </CustomerPage>
  );
}
