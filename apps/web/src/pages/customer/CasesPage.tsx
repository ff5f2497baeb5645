import { Anchor, Badge, Button, Group, Paper, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { describeError } from '../../api/errors';
import { CASE_STATUSES, fetchCases, type CaseKind, type CaseStatus } from '../../api/portal';
import { ResponseCountdown } from '../../components/ResponseCountdown';
import { formatDateTime } from '../../i18n/format';
import { CLOCK_LABELS, KIND_LABELS, STATUS_LABELS } from './case-labels';
import { CustomerPage } from './CustomerPage';
import { readableColor } from '../../theme';

const SEARCHABLE = /^(?:SD-\d{4}-\d{1,12}|[0-9a-f]{64})$/i;

export function CasesPage() {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<CaseStatus | null>(null);
  const [kind, setKind] = useState<CaseKind | null>(null);
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const q = SEARCHABLE.test(debounced) ? debounced : undefined;
  const searchError = debounced && !q ? t('cases.searchInvalid') : undefined;
  const filter = { status: status ?? undefined, kind: kind ?? undefined, q };
  const cases = useInfiniteQuery({
    queryKey: ['cases', 'list', filter],
    queryFn: ({ pageParam }) => fetchCases(filter, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    enabled: !searchError,
  });
  const items = cases.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = cases.error ? describeError(cases.error) : undefined;

  return (
    <CustomerPage title={t('cases.title')} description={t('cases.description')}>
      <Group align="flex-start" wrap="wrap">
        <TextInput
          label={t('cases.search')}
          placeholder="SD-2026-000042"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          error={searchError}
          w={360}
          maxLength={100}
        />
        <Select
          label={t('cases.filterStatus')}
          placeholder={t('cases.any')}
          data={CASE_STATUSES.map((value) => ({ value, label: t(STATUS_LABELS[value]) }))}
          value={status}
          onChange={(value) => setStatus(value as CaseStatus | null)}
          clearable
          w={220}
        />
        <Select
          label={t('cases.filterKind')}
          placeholder={t('cases.any')}
          data={(['false_negative', 'false_positive'] as const).map((value) => ({
            value,
            label: t(KIND_LABELS[value]),
          }))}
          value={kind}
          onChange={(value) => setKind(value as CaseKind | null)}
          clearable
          w={220}
        />
      </Group>
      {failure && (
        <Text c={readableColor('red')} role="alert">
          {t(failure.key, failure.values)}
        </Text>
      )}
      <Paper withBorder radius="md" style={{ overflowX: 'auto' }}>
        <Table striped highlightOnHover verticalSpacing="sm" miw={800}>
          <Table.Caption>{t('cases.caption')}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('cases.column.reference')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.kind')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.status')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.severity')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.premium')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.due')}</Table.Th>
              <Table.Th scope="col">{t('cases.column.submitted')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((found) => (
              <Table.Tr key={found.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Anchor component={Link} to={`/cases/${found.id}`} fw={500}>
                    {found.reference}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t(KIND_LABELS[found.kind])}</Table.Td>
                <Table.Td>
                  <Badge
                    variant="light"
                    color={found.status === 'awaiting_customer' ? 'orange' : 'blue'}
                    style={{ minWidth: 'max-content' }}
                  >
                    {t(STATUS_LABELS[found.status])}
                  </Badge>
                </Table.Td>
                <Table.Td>{found.severity}</Table.Td>
                <Table.Td>{found.premium ? t('cases.yes') : t('cases.no')}</Table.Td>
                <Table.Td>
                  <ResponseCountdown clock={found.responseClock} readAt={cases.dataUpdatedAt} labels={CLOCK_LABELS} />
                </Table.Td>
                <Table.Td>{formatDateTime(found.createdAt, i18n.language)}</Table.Td>
              </Table.Tr>
            ))}
            {cases.isSuccess && items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={7}>
                  <Text c="dimmed">{t('cases.empty')}</Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Paper>
      {cases.hasNextPage && (
        <Group>
          <Button variant="default" onClick={() => void cases.fetchNextPage()} loading={cases.isFetchingNextPage}>
            {t('cases.more')}
          </Button>
        </Group>
      )}
    </CustomerPage>
  );
}
