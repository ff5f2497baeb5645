import {
  Alert,
  Badge,
  Blockquote,
  Button,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Timeline,
  Title,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconClock,
  IconMessageQuestion,
  IconPlayerPause,
  IconRosetteDiscountCheck,
} from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import {
  caseQueryKey,
  fetchCase,
  fetchCurrentOrganization,
  organizationQueryKey,
  sendReply,
  type CustomerCase,
  type TimelineEvent,
} from '../../api/portal';
import { translationKey, type TranslationKey } from '../../i18n';
import { formatBytes, formatDateTime, formatWorkingDuration } from '../../i18n/format';
import { caseCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { ChosenFileList, RefusedFiles, SampleDropzone, useChosenFiles } from '../../submit/ChosenFiles';
import { CLOCK_LABELS, KIND_LABELS, STATUS_LABELS } from './case-labels';
import { CustomerPage } from './CustomerPage';
import { BODY_TEXT } from '../../theme';

/**
 * How often an open case page asks for news on its own: live updates (Server-Sent Events, apps/web/src/live) refresh
 * it as soon as the case changes; this only covers a browser or a proxy that keeps no event stream open.
 */
const REFRESH_MS = 60_000;

const SEVERITY_LABELS: Record<number, TranslationKey> = {
  1: translationKey('submit.severity.1.label'),
  2: translationKey('submit.severity.2.label'),
  3: translationKey('submit.severity.3.label'),
  4: translationKey('submit.severity.4.label'),
};

const ACTOR_LABELS: Record<string, TranslationKey> = {
  customer: translationKey('case.timeline.by.customer'),
  analyst: translationKey('case.timeline.by.analyst'),
  system: translationKey('case.timeline.by.system'),
  admin: translationKey('case.timeline.by.admin'),
  release: translationKey('case.timeline.by.release'),
};

const VERDICT_MESSAGES: Record<string, TranslationKey> = {
  confirmed: translationKey('case.timeline.verdict.confirmed'),
  not_reproduced: translationKey('case.timeline.verdict.not_reproduced'),
  declined: translationKey('case.timeline.verdict.declined'),
};

const EVENT_TITLES: Record<string, TranslationKey> = {
  question: translationKey('case.timeline.question'),
  response: translationKey('case.timeline.response'),
  customer_reply: translationKey('case.timeline.reply'),
  intake_completed: translationKey('case.timeline.intakeCompleted'),
  fix_built: translationKey('case.timeline.fixBuilt'),
  sla_warning: translationKey('case.timeline.slaWarning'),
  sla_breached: translationKey('case.timeline.slaBreached'),
};

function statusColor(status: CustomerCase['status']): string {
  if (status === 'awaiting_customer') return 'orange';
  if (status === 'fixed' || status === 'fix_scheduled') return 'green';
  if (status === 'rejected' || status === 'declined') return 'red';
  return 'blue';
}

/** An alert's title in the text colour: Mantine's green on its light green is below AA contrast. */
const READABLE_TITLE = { title: { color: 'var(--mantine-color-text)', fontSize: 'var(--mantine-font-size-lg)' } };

/** Whether the API said that the case does not exist for this customer (another organisation's, or none). */
function isNotFound(error: unknown): boolean {
  // a malformed id in the address is refused as a bad request: to the person, no such case either
  return error instanceof ApiError && (error.status === 404 || error.status === 400);
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
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

function ResponseClock({ found }: { found: CustomerCase }) {
  const { t, i18n } = useTranslation();
  const clock = found.responseClock;
  const state = clock?.state ?? 'none';
  const duration = formatWorkingDuration(clock?.remainingWorkingSeconds ?? 0);
  const look = {
    running: { color: 'blue', icon: IconClock },
    paused: { color: 'orange', icon: IconPlayerPause },
    met: { color: 'green', icon: IconCircleCheck },
    breached: { color: 'red', icon: IconAlertTriangle },
    none: { color: 'gray', icon: IconClock },
  }[state];
  const Icon = look.icon;
  let detail: string;
  if (state === 'running' && found.responseDueAt) {
    detail = t('case.clock.runningDetail', { date: formatDateTime(found.responseDueAt, i18n.language) });
  } else if (state === 'paused') detail = t('case.clock.pausedDetail');
  else if (state === 'met') detail = t('case.clock.metDetail');
  else if (state === 'breached') detail = t('case.clock.breachedDetail');
  else detail = t('case.clock.noneDetail');
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="clock-heading">
      <Group gap="sm" wrap="nowrap" align="flex-start">
        <Icon size={28} aria-hidden color={`var(--mantine-color-${look.color}-8)`} />
        <div>
          <Title order={2} size="h4" id="clock-heading">
            {t('case.clock.heading')}
          </Title>
          <Text fw={600} size="lg" data-testid="response-clock">
            {state === 'none' ? t('case.clock.none') : t(CLOCK_LABELS[state], { duration })}
          </Text>
          <Text size="sm" c="dimmed">
            {detail}
          </Text>
        </div>
      </Group>
    </Paper>
  );
}

function FixBanner({ found }: { found: CustomerCase }) {
  const { t } = useTranslation();
  if (found.status === 'fixed' && found.fixedInDatabaseVersion !== null) {
    return (
      <Alert
        color="green"
        variant="light"
        icon={<IconRosetteDiscountCheck aria-hidden />}
        styles={READABLE_TITLE}
        title={t('case.fix.fixedTitle', { version: found.fixedInDatabaseVersion })}
        data-testid="fix-banner"
      >
        {t('case.fix.fixedHowTo', { version: found.fixedInDatabaseVersion })}
      </Alert>
    );
  }
  if (found.status === 'fix_scheduled') {
    const version = found.fixScheduledInDatabaseVersion;
    return (
      <Alert
        color="green"
        variant="light"
        icon={<IconRosetteDiscountCheck aria-hidden />}
        styles={READABLE_TITLE}
        title={version !== null ? t('case.fix.scheduledTitle', { version }) : t('case.fix.scheduledTitleNoVersion')}
        data-testid="fix-banner"
      >
        {version !== null ? t('case.fix.scheduledHowTo', { version }) : t('case.fix.scheduledHowToNoVersion')}
      </Alert>
    );
  }
  return null;
}

function ReplyBox({ found, question }: { found: CustomerCase; question: TimelineEvent | undefined }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const organization = useQuery({ queryKey: organizationQueryKey, queryFn: () => fetchCurrentOrganization() });
  const chosen = useChosenFiles(organization.data?.limits);
  const [message, setMessage] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const reply = useMutation({
    mutationFn: () =>
      sendReply(
        found.id,
        message.trim(),
        chosen.files.map((f) => f.file),
      ),
    onSuccess: async () => {
      setMessage('');
      setShowErrors(false);
      chosen.clear();
      await queryClient.invalidateQueries({ queryKey: ['cases'] });
    },
  });
  const messageError = showErrors && !message.trim() ? t('case.reply.messageRequired') : undefined;
  const failure = reply.error ? describeError(reply.error) : undefined;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (!message.trim() || chosen.hashing || reply.isPending) return;
    reply.mutate();
  }

  return (
    <Paper
      withBorder
      p="md"
      radius="md"
      component="section"
      aria-labelledby="question-heading"
      style={{ borderColor: 'var(--mantine-color-orange-6)', borderWidth: 2 }}
    >
      <Stack gap="md">
        <Group gap="sm" wrap="nowrap">
          <IconMessageQuestion size={28} aria-hidden color="var(--mantine-color-orange-8)" />
          <Title order={2} size="h3" id="question-heading">
            {t('case.question.heading')}
          </Title>
        </Group>
        <Text>{t('case.question.intro')}</Text>
        {question?.data?.message && (
          <Blockquote color="orange" p="md" data-testid="analyst-question" style={{ whiteSpace: 'pre-wrap' }}>
            {question.data.message}
          </Blockquote>
        )}
        <form onSubmit={onSubmit} noValidate aria-label={t('case.reply.form')}>
          <Stack gap="sm">
            <Textarea
              label={t('case.reply.message')}
              description={t('case.reply.messageHint')}
              value={message}
              onChange={(event) => setMessage(event.currentTarget.value)}
              error={messageError}
              autosize
              minRows={4}
              maxLength={20000}
              withAsterisk
            />
            <SampleDropzone
              limits={organization.data?.limits}
              disabled={reply.isPending}
              onDrop={chosen.add}
              label={t('case.reply.drop')}
            />
            <RefusedFiles messages={chosen.refused} />
            <ChosenFileList files={chosen.files} disabled={reply.isPending} onRemove={chosen.remove} />
            {failure && (
              <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={t('case.reply.failed')} role="alert">
                {t(failure.key, failure.values)}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={reply.isPending} disabled={chosen.hashing}>
                {t('case.reply.send')}
              </Button>
              {chosen.hashing && (
                <Text size="sm" c="dimmed">
                  {t('submit.files.waitForHashes')}
                </Text>
              )}
            </Group>
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}

function EventEntry({ event }: { event: TimelineEvent }) {
  const { t, i18n } = useTranslation();
  let title: string;
  if (event.type === 'status_changed' && event.toStatus) {
    title = t('case.timeline.statusChanged', { status: t(STATUS_LABELS[event.toStatus]) });
  } else {
    title = t(EVENT_TITLES[event.type] ?? translationKey('case.timeline.other'));
  }
  const data = event.data ?? {};
  // a status change is told in the person's language from its facts; the API's sentence is English (and a
  // question's text is the question event's)
  let message: string | undefined = event.type === 'status_changed' ? undefined : data.message;
  if (event.type === 'status_changed') {
    if (event.toStatus === 'fixed' && data.fixedInDatabaseVersion !== undefined) {
      message = t('case.timeline.fixedIn', { version: data.fixedInDatabaseVersion });
    } else if (event.toStatus === 'fix_scheduled' && data.scheduledDatabaseVersion !== undefined) {
      message = t('case.timeline.scheduledIn', { version: data.scheduledDatabaseVersion });
    } else if (data.verdict && data.verdict in VERDICT_MESSAGES) {
      message = t(VERDICT_MESSAGES[data.verdict]);
    }
  }
  const who = t(ACTOR_LABELS[event.by.role] ?? translationKey('case.timeline.by.system'));
  return (
    <Timeline.Item title={title} bullet={<span aria-hidden />}>
      <Text size="sm" c="dimmed">
        <time dateTime={event.at}>{formatDateTime(event.at, i18n.language)}</time> · {who}
      </Text>
      {message && (
        <Text size="sm" mt={4} style={{ whiteSpace: 'pre-wrap' }}>
          {message}
        </Text>
      )}
      {event.type === 'fix_built' && data.databaseVersion !== undefined && (
        <Text size="sm" mt={4}>
          {t('case.timeline.fixBuiltIn', { version: data.databaseVersion })}
        </Text>
      )}
      {data.samplesAdded && data.samplesAdded.length > 0 && (
        <Text size="sm" mt={4}>
          {t('case.timeline.samplesAdded', { count: data.samplesAdded.length })}
        </Text>
      )}
    </Timeline.Item>
  );
}

function CaseDetail({ found }: { found: CustomerCase }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const timeline = found.timeline ?? [];
  const question = [...timeline].reverse().find((event) => event.type === 'question');
  return (
    <>
      <Group gap="xs" aria-label={t('case.summary')} role="group">
        <Badge c={BODY_TEXT} size="lg" variant="light" color={statusColor(found.status)} data-testid="case-status">
          {t(STATUS_LABELS[found.status])}
        </Badge>
        <Badge c={BODY_TEXT} size="lg" variant="light" color="gray">
          {t(KIND_LABELS[found.kind])}
        </Badge>
        <Badge c={BODY_TEXT} size="lg" variant="light" color="gray">
          {t('case.severity', { severity: t(SEVERITY_LABELS[found.severity] ?? SEVERITY_LABELS[4]) })}
        </Badge>
        {found.premium && (
          <Badge c={BODY_TEXT} size="lg" variant="light" color="grape">
            {t('case.premium')}
          </Badge>
        )}
      </Group>
      <FixBanner found={found} />
      {found.status === 'awaiting_customer' && <ReplyBox found={found} question={question} />}
      <ResponseClock found={found} />

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="report-heading">
        <Title order={2} size="h4" id="report-heading" mb="sm">
          {t('case.report.heading')}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }} component="dl" m={0} spacing="sm">
          <Fact label={t('case.report.product')}>{found.product}</Fact>
          <Fact label={t('case.report.productVersion')}>{found.productVersion}</Fact>
          <Fact label={t('case.report.database')}>
            {found.database.channel === 'default'
              ? t('case.report.databaseVersionOnly', { version: found.database.version })
              : t('case.report.databaseValue', { version: found.database.version, channel: found.database.channel })}
          </Fact>
          {found.detectionName && <Fact label={t('case.report.detectionName')}>{found.detectionName}</Fact>}
          <Fact label={t('case.report.submitted')}>{formatDateTime(found.createdAt, locale)}</Fact>
        </SimpleGrid>
        <Text size="sm" c="dimmed" mt="sm">
          {t('case.report.description')}
        </Text>
        <Text style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{found.description}</Text>
      </Paper>

      <Paper withBorder radius="md" component="section" aria-labelledby="samples-heading" style={{ overflowX: 'auto' }}>
        <Title order={2} size="h4" id="samples-heading" p="md" pb={0}>
          {t('case.samples.heading')}
        </Title>
        <Table verticalSpacing="sm" miw={760}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('case.samples.fileName')}</Table.Th>
              <Table.Th scope="col">{t('case.samples.type')}</Table.Th>
              <Table.Th scope="col">{t('case.samples.size')}</Table.Th>
              <Table.Th scope="col">SHA-256</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(found.samples ?? []).map((sample) => (
              <Table.Tr key={`${sample.sha256}-${sample.archivePath ?? ''}`}>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  {sample.fileName}
                  {sample.archivePath && (
                    <Text size="xs" c="dimmed">
                      {t('case.samples.inArchive', { path: sample.archivePath })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{sample.type}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatBytes(sample.size, locale)}</Table.Td>
                <Table.Td>
                  <Code data-testid="sample-sha256" style={{ wordBreak: 'break-all' }}>
                    {sample.sha256}
                  </Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>

      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="timeline-heading">
        <Title order={2} size="h4" id="timeline-heading" mb="md">
          {t('case.timeline.heading')}
        </Title>
        {timeline.length === 0 ? (
          <Text c="dimmed">{t('case.timeline.empty')}</Text>
        ) : (
          <Timeline bulletSize={14} lineWidth={2} active={timeline.length - 1} data-testid="timeline">
            {[...timeline].reverse().map((event, index) => (
              <EventEntry key={`${event.at}-${event.type}-${index}`} event={event} />
            ))}
          </Timeline>
        )}
      </Paper>
    </>
  );
}

export function CasePage() {
  usePageCatalog(caseCatalog);
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const found = useQuery({
    queryKey: caseQueryKey(id),
    queryFn: () => fetchCase(id),
    refetchInterval: (query) => (query.state.error && isNotFound(query.state.error) ? false : REFRESH_MS),
    retry: (failures, error) => !isNotFound(error) && failures < 2,
  });

  if (found.error && isNotFound(found.error)) {
    return (
      <CustomerPage title={t('case.notFound.title')} description={t('case.notFound.description')}>
        <Group>
          <Button component={Link} to="/cases" variant="default">
            {t('case.backToCases')}
          </Button>
        </Group>
      </CustomerPage>
    );
  }
  const failure = found.error ? describeError(found.error) : undefined;
  return (
    <CustomerPage
      title={found.data ? t('case.title', { reference: found.data.reference }) : t('app.loading')}
      description={t('case.description')}
    >
      {failure && !found.data && (
        <Alert color="red" icon={<IconAlertTriangle aria-hidden />} role="alert">
          {t(failure.key, failure.values)}
        </Alert>
      )}
      {found.data && <CaseDetail found={found.data} />}
    </CustomerPage>
  );
}
