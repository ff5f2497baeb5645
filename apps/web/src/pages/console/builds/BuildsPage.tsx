import { Alert, Anchor, Button, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { buildsQueryKey, fetchBuilds, type BuildView } from '../../../api/builds';
import { describeError } from '../../../api/errors';
import { usePageTitle } from '../../../hooks/usePageTitle';
import { formatDateTime, formatElapsed } from '../../../i18n/format';
import { buildsCatalog, usePageCatalog } from '../../../i18n/page-catalogs';
import { BUILD_KIND_LABELS, GATE_LABELS } from './build-labels';
import { BuildProgress, BuildStatusBadge, GateMarks } from './BuildStatus';

const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The address of a build's page (the channel only when it is not the default one). */
export function buildPath(build: Pick<BuildView, 'version' | 'channel'>, channel: string | undefined): string {
  return channel ? `/builds/${build.version}?channel=${encodeURIComponent(build.channel)}` : `/builds/${build.version}`;
}

function BuildRow({ build, channel }: { build: BuildView; channel: string | undefined }) {
  const { t, i18n } = useTranslation();
  const failure = build.failure as { gate?: string } | null;
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={buildPath(build, channel)} fw={600}>
          {t('builds.version', { version: build.version })}
        </Anchor>
      </Table.Td>
      <Table.Td>
        {build.status === 'building' ? <BuildProgress build={build} /> : <BuildStatusBadge status={build.status} />}
        {failure?.gate && (
          <Text size="xs" c="dimmed" mt={4}>
            {t('builds.failedGate', { gate: GATE_LABELS[failure.gate] ? t(GATE_LABELS[failure.gate]) : failure.gate })}
          </Text>
        )}
      </Table.Td>
      <Table.Td>{t(BUILD_KIND_LABELS[build.kind])}</Table.Td>
      <Table.Td>{build.parentVersion ?? '—'}</Table.Td>
      <Table.Td ta="right">{build.changes.length}</Table.Td>
      <Table.Td>
        {build.cases.length === 0 ? (
          '—'
        ) : (
          <Text size="sm" lineClamp={2}>
            {build.cases.map((found) => found.reference).join(', ')}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <GateMarks gates={build.gates} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(build.startedAt, i18n.language)}</Text>
        <Text size="xs" c="dimmed">
          {build.durationMs === null ? t('builds.running') : formatElapsed(build.durationMs / 1000)}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * Release engineers' list of a channel's database builds, newest first: what each holds, how its proof went, and a
 * running build's stage and files scanned, live (the `build.changed` events make the list read again).
 */
export function BuildsPage() {
  usePageCatalog(buildsCatalog);
  const { t } = useTranslation();
  usePageTitle(t('builds.title'));
  const [params, setParams] = useSearchParams();
  const [typed, setTyped] = useState(params.get('channel') ?? '');
  const [debounced] = useDebouncedValue(typed.trim(), 400);
  const channelError = debounced && !CHANNEL.test(debounced) ? t('builds.channelInvalid') : undefined;
  const channel = debounced && !channelError ? debounced : undefined;
  const builds = useInfiniteQuery({
    queryKey: [...buildsQueryKey, 'list', channel ?? null],
    queryFn: ({ pageParam }) => fetchBuilds(channel, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    enabled: !channelError,
  });
  const items = builds.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = builds.error ? describeError(builds.error) : undefined;

  return (
    <Stack gap="lg" maw={1200}>
      <div>
        <Title order={1} size="h2">
          {t('builds.title')}
        </Title>
        <Text c="dimmed" mt={4}>
          {t('builds.description')}
        </Text>
      </div>
      <TextInput
        label={t('builds.channel')}
        description={t('builds.channelHint')}
        placeholder="default"
        value={typed}
        error={channelError}
        maxLength={64}
        w={280}
        onChange={(event) => {
          setTyped(event.currentTarget.value);
          const next = new URLSearchParams(params);
          if (event.currentTarget.value.trim()) next.set('channel', event.currentTarget.value.trim());
          else next.delete('channel');
          setParams(next, { replace: true });
        }}
      />
      {failure && (
        <Alert color="red" title={t('builds.failed')}>
          {t(failure.key, failure.values)}
        </Alert>
      )}
      <Paper withBorder radius="md">
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('builds.columns.version')}</Table.Th>
                <Table.Th>{t('builds.columns.status')}</Table.Th>
                <Table.Th>{t('builds.columns.kind')}</Table.Th>
                <Table.Th>{t('builds.columns.parent')}</Table.Th>
                <Table.Th ta="right">{t('builds.columns.changes')}</Table.Th>
                <Table.Th>{t('builds.columns.cases')}</Table.Th>
                <Table.Th>{t('builds.columns.gates')}</Table.Th>
                <Table.Th>{t('builds.columns.started')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((build) => (
                <BuildRow key={`${build.channel}/${build.version}`} build={build} channel={channel} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {builds.isSuccess && items.length === 0 && (
          <Text c="dimmed" p="md">
            {t('builds.empty')}
          </Text>
        )}
      </Paper>
      {builds.hasNextPage && (
        <Group>
          <Button variant="default" loading={builds.isFetchingNextPage} onClick={() => void builds.fetchNextPage()}>
            {t('builds.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
