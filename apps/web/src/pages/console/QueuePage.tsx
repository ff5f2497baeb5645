import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Kbd,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { IconHandGrab } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { claimCase, claimNext, fetchQueue, reviewQueryKeys, type QueueFilter, type QueueItem } from '../../api/review';
import { ResponseCountdown } from '../../components/ResponseCountdown';
import { useSession } from '../../hooks/session';
import { translationKey, type TranslationKey } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { consoleQueueCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { useShortcuts } from '../../shortcuts/ShortcutsProvider';
import { KIND_LABELS } from '../customer/case-labels';
import { CONSOLE_CLOCK_LABELS, formatAge, TIER_LABELS } from './console-labels';
import { CustomerPage } from '../customer/CustomerPage';

/** The console's pages are wider than the customer area's: tables of many columns. */
const CONSOLE_WIDTH = 1280;

/**
 * How often the queue is read on its own: live updates (Server-Sent Events) refresh it as cases come and are claimed;
 * this catches the working hours starting (a countdown that stood still starts again) and a lost stream.
 */
const REFRESH_MS = 60_000;

type Claimed = NonNullable<QueueFilter['claimed']>;

const CLAIMS_LABELS: Record<Claimed, TranslationKey> = {
  no: translationKey('queuePage.claims.no'),
  yes: translationKey('queuePage.claims.yes'),
  any: translationKey('queuePage.claims.any'),
};

function Holder({ item, myId }: { item: QueueItem; myId: string | undefined }) {
  const { t, i18n } = useTranslation();
  const claim = item.claim;
  if (!claim) return <Text size="sm">{t('queuePage.nobody')}</Text>;
  const name = claim.holder.id === myId ? t('queuePage.you') : (claim.holder.name ?? t('reviewCase.claim.someone'));
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm" data-testid="holder">
        {name}
      </Text>
      {claim.stale && claim.releasesAt && (
        <Badge
          color="orange"
          variant="light"
          c="var(--mantine-color-text)"
          data-testid="stale"
          title={t('queuePage.staleHint', { date: formatDateTime(claim.releasesAt, i18n.language) })}
        >
          {t('queuePage.stale')}
        </Badge>
      )}
    </Group>
  );
}

export function QueuePage() {
  usePageCatalog(consoleQueueCatalog);
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { data: session } = useSession();
  const myId = session?.user.id;
  const [tier, setTier] = useState<QueueFilter['tier'] | null>(null);
  const [severity, setSeverity] = useState<string | null>(null);
  const [premium, setPremium] = useState<string | null>(null);
  const [kind, setKind] = useState<QueueFilter['kind'] | null>(null);
  const [claimed, setClaimed] = useState<Claimed>('no');
  const [selected, setSelected] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const firstFilter = useRef<HTMLInputElement>(null);
  const rows = useRef<Array<HTMLTableRowElement | null>>([]);

  const filter: QueueFilter = {
    tier: tier ?? undefined,
    severity: severity ? Number(severity) : undefined,
    premium: premium === null ? undefined : premium === 'true',
    kind: kind ?? undefined,
    claimed,
  };
  const queue = useInfiniteQuery({
    queryKey: reviewQueryKeys.queueOf(filter),
    queryFn: ({ pageParam }) => fetchQueue(filter, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: REFRESH_MS,
  });
  const items = useMemo(() => queue.data?.pages.flatMap((page) => page.items) ?? [], [queue.data]);
  const current = Math.min(selected, Math.max(0, items.length - 1));

  useEffect(() => {
    rows.current[current]?.scrollIntoView?.({ block: 'nearest' });
  }, [current]);

  const opened = async (id: string) => {
    await queryClient.invalidateQueries({ queryKey: reviewQueryKeys.queue });
    await navigate(`/review/${id}`);
  };
  const next = useMutation({
    mutationFn: () => claimNext(),
    onSuccess: async (claimedCase) => {
      if (!claimedCase) {
        setNotice(t('queuePage.empty'));
        return;
      }
      queryClient.setQueryData(reviewQueryKeys.case(claimedCase.id), claimedCase);
      await opened(claimedCase.id);
    },
  });
  const one = useMutation({
    mutationFn: (item: QueueItem) => claimCase(item.id),
    onSuccess: async (claimedCase) => {
      queryClient.setQueryData(reviewQueryKeys.case(claimedCase.id), claimedCase);
      await opened(claimedCase.id);
    },
    onError: async (error, item) => {
      if (error instanceof ApiError && error.code === 'claimed_by_another') {
        setNotice(t('queuePage.claimedByAnother', { reference: item.reference }));
      } else if (error instanceof ApiError && error.code === 'not_queued') {
        setNotice(t('queuePage.notQueued', { reference: item.reference }));
      } else return;
      one.reset();
      await queryClient.invalidateQueries({ queryKey: reviewQueryKeys.queue });
    },
  });

  const shortcuts = useMemo(
    () => [
      { keys: 'c', description: translationKey('queuePage.shortcut.claimNext'), run: () => next.mutate() },
      {
        keys: 'j',
        description: translationKey('queuePage.shortcut.down'),
        run: () => setSelected((index) => Math.min(index + 1, Math.max(0, items.length - 1))),
      },
      {
        keys: 'k',
        description: translationKey('queuePage.shortcut.up'),
        run: () => setSelected((index) => Math.max(0, Math.min(index, items.length - 1) - 1)),
      },
      {
        keys: 'Enter',
        description: translationKey('queuePage.shortcut.open'),
        run: () => {
          const item = items[current];
          if (item) void navigate(`/review/${item.id}`);
        },
      },
      {
        keys: '/',
        description: translationKey('queuePage.shortcut.filter'),
        run: () => firstFilter.current?.focus(),
      },
    ],
    [next, items, current, navigate],
  );
  useShortcuts(shortcuts);

  const failure = queue.error ?? next.error ?? one.error;
  const failed = failure ? describeError(failure) : undefined;
  const any = t('queuePage.any');

  return (
    <CustomerPage maxWidth={CONSOLE_WIDTH} title={t('queuePage.title')} description={t('queuePage.description')}>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Group gap="sm">
          <Button
            leftSection={<IconHandGrab size={18} aria-hidden />}
            rightSection={<Kbd size="xs">c</Kbd>}
            onClick={() => next.mutate()}
            loading={next.isPending}
            title={t('queuePage.claimNextHint')}
          >
            {t('queuePage.claimNext')}
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          {t('queuePage.live')}
        </Text>
      </Group>
      {notice && (
        <Alert
          color="blue"
          role="status"
          withCloseButton
          closeButtonLabel={t('queuePage.dismiss')}
          onClose={() => setNotice(null)}
          data-testid="queue-notice"
        >
          {notice}
        </Alert>
      )}
      {failed && (
        <Alert color="red" role="alert">
          {t(failed.key, failed.values)}
        </Alert>
      )}
      <Paper withBorder p="sm" radius="md" component="section" aria-label={t('queuePage.filters')}>
        <Group align="flex-end" wrap="wrap" gap="sm">
          <Select
            ref={firstFilter}
            label={t('queuePage.filterTier')}
            clearButtonProps={{ 'aria-label': t('queuePage.clearFilter', { filter: t('queuePage.filterTier') }) }}
            placeholder={any}
            data={(['msa_start', 'standard'] as const).map((value) => ({ value, label: t(TIER_LABELS[value]) }))}
            value={tier}
            onChange={(value) => setTier(value as QueueFilter['tier'] | null)}
            clearable
            w={150}
          />
          <Select
            label={t('queuePage.filterSeverity')}
            clearButtonProps={{ 'aria-label': t('queuePage.clearFilter', { filter: t('queuePage.filterSeverity') }) }}
            placeholder={any}
            data={['1', '2', '3', '4'].map((value) => ({ value, label: t('queuePage.severity', { severity: value }) }))}
            value={severity}
            onChange={setSeverity}
            clearable
            w={130}
          />
          <Select
            label={t('queuePage.filterPremium')}
            clearButtonProps={{ 'aria-label': t('queuePage.clearFilter', { filter: t('queuePage.filterPremium') }) }}
            placeholder={any}
            data={[
              { value: 'true', label: t('queuePage.premiumOnly') },
              { value: 'false', label: t('queuePage.notPremium') },
            ]}
            value={premium}
            onChange={setPremium}
            clearable
            w={160}
          />
          <Select
            label={t('queuePage.filterKind')}
            clearButtonProps={{ 'aria-label': t('queuePage.clearFilter', { filter: t('queuePage.filterKind') }) }}
            placeholder={any}
            data={(['false_negative', 'false_positive'] as const).map((value) => ({
              value,
              label: t(KIND_LABELS[value]),
            }))}
            value={kind}
            onChange={(value) => setKind(value as QueueFilter['kind'] | null)}
            clearable
            w={190}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="claims-filter">
              {t('queuePage.filterClaims')}
            </Text>
            <SegmentedControl
              aria-labelledby="claims-filter"
              value={claimed}
              onChange={(value) => setClaimed(value as Claimed)}
              data={(['no', 'yes', 'any'] as const).map((value) => ({ value, label: t(CLAIMS_LABELS[value]) }))}
            />
          </Stack>
        </Group>
      </Paper>
      <Paper withBorder radius="md" style={{ overflowX: 'auto' }}>
        <Table verticalSpacing="xs" highlightOnHover miw={1080} data-testid="queue">
          <Table.Caption>{t('queuePage.caption')}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('queuePage.column.reference')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.tier')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.premium')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.severity')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.organization')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.kind')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.age')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.due')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.holder')}</Table.Th>
              <Table.Th scope="col">{t('queuePage.column.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((item, index) => (
              <Table.Tr
                key={item.id}
                ref={(row) => {
                  rows.current[index] = row;
                }}
                aria-current={index === current ? 'true' : undefined}
                data-testid="queue-row"
                data-case-id={item.id}
                style={
                  index === current
                    ? {
                        background: 'var(--mantine-primary-color-light)',
                        boxShadow: 'inset 3px 0 0 var(--mantine-primary-color-filled)',
                      }
                    : undefined
                }
              >
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Anchor component={Link} to={`/review/${item.id}`} fw={600}>
                    {item.reference}
                  </Anchor>
                  {item.group.size > 1 && (
                    <Text size="xs" c="dimmed">
                      {t('queuePage.group', { count: item.group.size })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{t(TIER_LABELS[item.tier])}</Table.Td>
                <Table.Td>{item.premium ? t('queuePage.premiumYes') : t('queuePage.premiumNo')}</Table.Td>
                <Table.Td>{t('queuePage.severity', { severity: item.severity })}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{item.organization.name}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{t(KIND_LABELS[item.kind])}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <time dateTime={item.createdAt} title={formatDateTime(item.createdAt, i18n.language)}>
                    {formatAge(item.createdAt)}
                  </time>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <ResponseCountdown
                    clock={item.responseClock}
                    readAt={queue.dataUpdatedAt}
                    labels={CONSOLE_CLOCK_LABELS}
                    fw={600}
                    data-testid="countdown"
                  />
                </Table.Td>
                <Table.Td>
                  <Holder item={item} myId={myId} />
                </Table.Td>
                <Table.Td>
                  {item.status === 'queued' ? (
                    <Button
                      size="compact-sm"
                      variant="light"
                      onClick={() => one.mutate(item)}
                      loading={one.isPending && one.variables?.id === item.id}
                      aria-label={t('queuePage.claimCase', { reference: item.reference })}
                    >
                      {t('queuePage.claim')}
                    </Button>
                  ) : (
                    <Button
                      size="compact-sm"
                      variant="default"
                      component={Link}
                      to={`/review/${item.id}`}
                      aria-label={t('queuePage.openCase', { reference: item.reference })}
                    >
                      {t('queuePage.open')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
            {queue.isSuccess && items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={10}>
                  <Text c="dimmed">{t('queuePage.none')}</Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Paper>
      {queue.hasNextPage && (
        <Group>
          <Button variant="default" onClick={() => void queue.fetchNextPage()} loading={queue.isFetchingNextPage}>
            {t('queuePage.more')}
          </Button>
        </Group>
      )}
    </CustomerPage>
  );
}
