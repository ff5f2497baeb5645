import { Alert, Group, Paper, SegmentedControl, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { fetchDashboard, type DashboardOverview } from '../../api/dashboard';
import { describeError } from '../../api/errors';
import { DailyBars } from '../../components/charts/DailyBars';
import { usePageTitle } from '../../hooks/usePageTitle';
import { translationKey } from '../../i18n';
import { browserTimeZone, formatElapsed } from '../../i18n/format';
import { dashboardCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { Section } from '../../components/Section';

const PERIODS = ['7', '30', '90'] as const;

const TIERS = {
  msa_start: translationKey('dashboard.tier.msa_start'),
  standard: translationKey('dashboard.tier.standard'),
};

function Figure({ label, value, color }: { label: string; value: number; color?: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} c={value > 0 ? color : undefined}>
        {value}
      </Text>
    </Paper>
  );
}

function QueueTable({ queue }: { queue: DashboardOverview['queue'] }) {
  const { t } = useTranslation();
  if (queue.groups.length === 0) return <Text c="dimmed">{t('dashboard.queue.empty')}</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('dashboard.queue.contract')}</Table.Th>
            <Table.Th>{t('dashboard.queue.severity')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.queue.queued')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.queue.inReview')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.queue.awaitingCustomer')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.queue.breached')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {queue.groups.map((group) => (
            <Table.Tr key={`${group.tier}/${group.premium}/${group.severity}`}>
              <Table.Td>
                {t(TIERS[group.tier])}
                {group.premium && ` · ${t('dashboard.queue.premium')}`}
              </Table.Td>
              <Table.Td>{t('dashboard.queue.severityValue', { severity: group.severity })}</Table.Td>
              <Table.Td ta="right">{group.queued}</Table.Td>
              <Table.Td ta="right">{group.inReview}</Table.Td>
              <Table.Td ta="right">{group.awaitingCustomer}</Table.Td>
              <Table.Td ta="right" c={group.breached > 0 ? 'var(--mantine-color-error)' : undefined}>
                {group.breached}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function FixTimesTable({ fixTimes }: { fixTimes: DashboardOverview['fixTimes'] }) {
  const { t } = useTranslation();
  const seconds = (value: number | null) => (value === null ? '—' : formatElapsed(value));
  if (fixTimes.byTier.length === 0) return <Text c="dimmed">{t('dashboard.fixes.none')}</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th rowSpan={2}>{t('dashboard.queue.contract')}</Table.Th>
            <Table.Th rowSpan={2} ta="right">
              {t('dashboard.fixes.changes')}
            </Table.Th>
            <Table.Th colSpan={2} ta="center">
              {t('dashboard.fixes.reportToBuild')}
            </Table.Th>
            <Table.Th colSpan={2} ta="center">
              {t('dashboard.fixes.approvalToBuild')}
            </Table.Th>
          </Table.Tr>
          <Table.Tr>
            <Table.Th ta="right">{t('dashboard.fixes.median')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.fixes.p90')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.fixes.median')}</Table.Th>
            <Table.Th ta="right">{t('dashboard.fixes.p90')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fixTimes.byTier.map((row) => (
            <Table.Tr key={row.tier}>
              <Table.Td>{t(TIERS[row.tier])}</Table.Td>
              <Table.Td ta="right">{row.changes}</Table.Td>
              <Table.Td ta="right">{seconds(row.reportToBuildSeconds.p50)}</Table.Td>
              <Table.Td ta="right">{seconds(row.reportToBuildSeconds.p90)}</Table.Td>
              <Table.Td ta="right">{seconds(row.approvalToBuildSeconds.p50)}</Table.Td>
              <Table.Td ta="right">{seconds(row.approvalToBuildSeconds.p90)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Each day's median time from report to build per tier, for the chart (every day of the period, 0 without builds). */
export function fixTimeHistory(overview: DashboardOverview) {
  const median = new Map(
    overview.fixTimes.byDay.map((row) => [`${row.day}/${row.tier}`, row.reportToBuildSeconds.p50 ?? 0]),
  );
  return overview.activity.map(({ day }) => ({
    day,
    msa_start: median.get(`${day}/msa_start`) ?? 0,
    standard: median.get(`${day}/standard`) ?? 0,
  }));
}

/**
 * What the whole team sees at a glance (analysts, release engineers, admins): the queue's depth, response clocks met
 * and breached, how long fixes take per tier, validations and builds — from `GET /v1/dashboard`, refreshed each minute.
 */
export function DashboardPage() {
  usePageCatalog(dashboardCatalog);
  const { t } = useTranslation();
  usePageTitle(t('dashboard.title'));
  const [days, setDays] = useState<(typeof PERIODS)[number]>('30');
  const timeZone = browserTimeZone();
  const overview = useQuery({
    queryKey: ['dashboard', days, timeZone],
    queryFn: () => fetchDashboard(Number(days), timeZone),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
  const data = overview.data;
  const failure = overview.error ? describeError(overview.error) : undefined;
  const sum = <Row, Key extends keyof Row>(rows: Row[], key: Key) =>
    rows.reduce((total, row) => total + Number(row[key]), 0);

  return (
    <Stack gap="lg" maw={1100}>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1} size="h2">
            {t('dashboard.title')}
          </Title>
          <Text c="dimmed" mt={4}>
            {t('dashboard.description')}
          </Text>
        </div>
        <SegmentedControl
          aria-label={t('dashboard.period')}
          value={days}
          onChange={(value) => setDays(value as (typeof PERIODS)[number])}
          data={PERIODS.map((value) => ({ value, label: t('dashboard.days', { days: value }) }))}
        />
      </Group>
      {failure && (
        <Alert color="red" title={t('dashboard.failed')}>
          {t(failure.key, failure.values)}
        </Alert>
      )}
      {!data && !failure && <Skeleton height={400} radius="md" />}
      {data && (
        <>
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Figure label={t('dashboard.figures.open')} value={data.queue.total} />
            <Figure
              label={t('dashboard.figures.breached')}
              value={data.queue.breached}
              color="var(--mantine-color-error)"
            />
            <Figure label={t('dashboard.figures.inReview')} value={sum(data.queue.groups, 'inReview')} />
            <Figure
              label={t('dashboard.figures.awaitingCustomer')}
              value={sum(data.queue.groups, 'awaitingCustomer')}
            />
          </SimpleGrid>
          <Section title={t('dashboard.queue.title')}>
            <QueueTable queue={data.queue} />
          </Section>
          <Section title={t('dashboard.clocks.title')}>
            <DailyBars
              title={t('dashboard.clocks.chart')}
              days={data.responseClocks}
              series={[
                { key: 'met', label: t('dashboard.clocks.met'), color: 'teal' },
                { key: 'breached', label: t('dashboard.clocks.breached'), color: 'red' },
              ]}
              summary={t('dashboard.clocks.summary', {
                met: sum(data.responseClocks, 'met'),
                breached: sum(data.responseClocks, 'breached'),
                days: data.period.days,
              })}
            />
          </Section>
          <Section title={t('dashboard.fixes.title')}>
            <Stack gap="lg">
              <FixTimesTable fixTimes={data.fixTimes} />
              <DailyBars
                title={t('dashboard.fixes.chart')}
                grouped
                format={formatElapsed}
                days={fixTimeHistory(data)}
                series={[
                  { key: 'msa_start', label: t('dashboard.tier.msa_start'), color: 'navy' },
                  { key: 'standard', label: t('dashboard.tier.standard'), color: 'gray' },
                ]}
                summary={t('dashboard.fixes.summary', {
                  days: new Set(data.fixTimes.byDay.map((row) => row.day)).size,
                })}
              />
            </Stack>
          </Section>
          <Section title={t('dashboard.activity.title')}>
            <Stack gap="xl">
              <DailyBars
                title={t('dashboard.activity.validations')}
                days={data.activity}
                series={[
                  { key: 'validationsPassed', label: t('dashboard.activity.passed'), color: 'teal' },
                  { key: 'validationsFailed', label: t('dashboard.activity.failed'), color: 'red' },
                ]}
                summary={t('dashboard.activity.validationsSummary', {
                  passed: sum(data.activity, 'validationsPassed'),
                  failed: sum(data.activity, 'validationsFailed'),
                })}
              />
              <DailyBars
                title={t('dashboard.activity.builds')}
                grouped
                days={data.activity}
                series={[
                  { key: 'buildsStored', label: t('dashboard.activity.stored'), color: 'navy' },
                  { key: 'buildsPublished', label: t('dashboard.activity.published'), color: 'teal' },
                  { key: 'buildsFailed', label: t('dashboard.activity.failed'), color: 'red' },
                ]}
                summary={t('dashboard.activity.buildsSummary', {
                  stored: sum(data.activity, 'buildsStored'),
                  published: sum(data.activity, 'buildsPublished'),
                  failed: sum(data.activity, 'buildsFailed'),
                })}
              />
            </Stack>
          </Section>
        </>
      )}
    </Stack>
  );
}
