import {
  Alert,
  Button,
  Code,
  Group,
  NativeSelect,
  NumberInput,
  Paper,
  ScrollArea,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { IconAlertTriangle, IconRowInsertBottom } from '@tabler/icons-react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseSample } from '../../../api/portal';
import { describeError } from '../../../api/errors';
import { fetchSampleBytes, fetchSampleStrings } from '../../../api/signature-changes';
import { hexPattern, textPattern } from './rule-text';

/** How many bytes the hex view shows at once, 16 a row. */
const HEX_WINDOW = 256;
const MAX_SHOWN_STRINGS = 200;

const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;

/** An offset as typed: `0x1F0` or `496`. */
export function parseOffset(value: string): number | null {
  const text = value.trim();
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function Failure({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const { key, values } = describeError(error);
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
      {t(key, values)}
    </Alert>
  );
}

function StringsTab({
  caseId,
  sample,
  onInsert,
}: {
  caseId: string;
  sample: CaseSample;
  onInsert: (prefix: 's', pattern: string) => void;
}) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState('');
  const strings = useInfiniteQuery({
    queryKey: ['cases', 'review', caseId, 'strings', sample.sha256],
    queryFn: ({ pageParam }) => fetchSampleStrings(caseId, sample.sha256, pageParam),
    initialPageParam: 0,
    getNextPageParam: (page) => page.nextOffset ?? undefined,
  });
  const all = useMemo(() => strings.data?.pages.flatMap((page) => page.strings) ?? [], [strings.data]);
  const needle = filter.trim().toLowerCase();
  const shown = (needle ? all.filter((s) => s.text.toLowerCase().includes(needle)) : all).slice(0, MAX_SHOWN_STRINGS);
  if (strings.isError) return <Failure error={strings.error} />;
  return (
    <Stack gap="xs">
      <TextInput
        label={t('rules.helper.filter')}
        value={filter}
        onChange={(event) => setFilter(event.currentTarget.value)}
      />
      <Text size="sm" c="dimmed" role="status">
        {strings.isPending
          ? t('app.loading')
          : t('rules.helper.stringsShown', { shown: shown.length, total: all.length })}
      </Text>
      <ScrollArea.Autosize mah={360} type="auto" offsetScrollbars>
        <Table fz="sm" striped stickyHeader data-testid="sample-strings">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rules.helper.offset')}</Table.Th>
              <Table.Th>{t('rules.helper.text')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('rules.helper.action')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((s) => (
              <Table.Tr key={`${s.offset}-${s.encoding}`}>
                <Table.Td>
                  <Code>{hex(s.offset)}</Code>
                  {s.encoding === 'utf16le' && (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      {t('rules.helper.wide')}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere', maxWidth: 320 }}>
                  <Code>{s.text}</Code>
                </Table.Td>
                <Table.Td>
                  <Button
                    size="compact-xs"
                    variant="light"
                    onClick={() => onInsert('s', textPattern(s.text, s.encoding))}
                    aria-label={t('rules.helper.insertStringLabel', { offset: hex(s.offset) })}
                  >
                    {t('rules.helper.insert')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {strings.hasNextPage && (
        <Button
          variant="default"
          size="xs"
          onClick={() => void strings.fetchNextPage()}
          loading={strings.isFetchingNextPage}
        >
          {t('rules.helper.more')}
        </Button>
      )}
    </Stack>
  );
}

function HexTab({
  caseId,
  sample,
  onInsert,
}: {
  caseId: string;
  sample: CaseSample;
  onInsert: (prefix: 'h', pattern: string) => void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('0x0');
  const [offset, setOffset] = useState(0);
  const [length, setLength] = useState<number | string>(16);
  const typedOffset = parseOffset(typed);
  const offsetProblem =
    typedOffset === null
      ? t('rules.helper.offsetInvalid')
      : typedOffset >= sample.size
        ? t('rules.helper.offsetBeyond', { size: sample.size })
        : undefined;
  const bytes = useQuery({
    queryKey: ['cases', 'review', caseId, 'bytes', sample.sha256, offset],
    queryFn: () => fetchSampleBytes(caseId, sample.sha256, offset, HEX_WINDOW),
  });
  const runLength = typeof length === 'number' ? length : 0;
  const rows = useMemo(() => {
    const data = bytes.data;
    if (!data) return [];
    const pairs = data.hex.match(/.{2}/g) ?? [];
    return Array.from({ length: Math.ceil(pairs.length / 16) }, (_, row) => {
      const slice = pairs.slice(row * 16, row * 16 + 16);
      const ascii = slice
        .map((pair) => {
          const code = parseInt(pair, 16);
          return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '.';
        })
        .join('');
      return { offset: data.offset + row * 16, hex: slice.join(' ').toUpperCase(), ascii };
    });
  }, [bytes.data]);
  const run = bytes.data?.hex.slice(0, runLength * 2) ?? '';
  return (
    <Stack gap="xs">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!offsetProblem && typedOffset !== null) setOffset(typedOffset);
        }}
      >
        <Group align="flex-end" gap="xs">
          <TextInput
            label={t('rules.helper.offsetLabel')}
            description={t('rules.helper.offsetHint')}
            value={typed}
            onChange={(event) => setTyped(event.currentTarget.value)}
            error={offsetProblem}
            w={180}
          />
          <Button type="submit" variant="default" disabled={Boolean(offsetProblem)}>
            {t('rules.helper.show')}
          </Button>
        </Group>
      </form>
      {bytes.isError ? (
        <Failure error={bytes.error} />
      ) : (
        <ScrollArea type="auto" offsetScrollbars>
          <Code
            block
            data-testid="sample-hex"
            tabIndex={0}
            aria-label={t('rules.helper.hexLabel', { offset: hex(offset) })}
          >
            {bytes.isPending
              ? t('app.loading')
              : rows.map((row) => `${hex(row.offset).padEnd(10)} ${row.hex.padEnd(47)}  ${row.ascii}`).join('\n')}
          </Code>
        </ScrollArea>
      )}
      <Group align="flex-end" gap="xs">
        <NumberInput
          label={t('rules.helper.runLength')}
          value={length}
          onChange={setLength}
          min={2}
          max={64}
          clampBehavior="strict"
          allowDecimal={false}
          w={160}
        />
        <Button
          leftSection={<IconRowInsertBottom size={16} aria-hidden />}
          variant="light"
          disabled={runLength < 2 || run.length < runLength * 2}
          onClick={() => onInsert('h', hexPattern(run))}
        >
          {t('rules.helper.insertHex', { bytes: runLength, offset: hex(offset) })}
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * Help for a false negative: the sample's printable strings and its bytes as hex at an offset, read through the
 * API (the sample is never opened or run), from which a string or a run of bytes goes into the rule as a pattern.
 */
export function SampleHelper({
  caseId,
  samples,
  onInsert,
}: {
  caseId: string;
  samples: CaseSample[];
  onInsert: (prefix: 's' | 'h', pattern: string) => void;
}) {
  const { t } = useTranslation();
  const [chosen, setChosen] = useState(samples[0]?.sha256 ?? '');
  const sample = samples.find((s) => s.sha256 === chosen) ?? samples[0];
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="helper-heading">
      <Title order={2} size="h4" id="helper-heading" mb="xs">
        {t('rules.helper.heading')}
      </Title>
      {!sample ? (
        <Text c="dimmed">{t('rules.helper.noSample')}</Text>
      ) : (
        <Stack gap="sm">
          {samples.length > 1 && (
            <NativeSelect
              label={t('rules.helper.sample')}
              value={sample.sha256}
              onChange={(event) => setChosen(event.currentTarget.value)}
              data={samples.map((s) => ({
                value: s.sha256,
                label: `${s.archivePath ?? s.fileName} (${s.sha256.slice(0, 12)}…)`,
              }))}
            />
          )}
          <Text size="sm" c="dimmed">
            {sample.archivePath ?? sample.fileName} · {t('rules.helper.size', { size: sample.size })}
          </Text>
          <Tabs defaultValue="strings" keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="strings">{t('rules.helper.stringsTab')}</Tabs.Tab>
              <Tabs.Tab value="hex">{t('rules.helper.hexTab')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="strings" pt="sm">
              <StringsTab key={sample.sha256} caseId={caseId} sample={sample} onInsert={onInsert} />
            </Tabs.Panel>
            <Tabs.Panel value="hex" pt="sm">
              <HexTab key={sample.sha256} caseId={caseId} sample={sample} onInsert={onInsert} />
            </Tabs.Panel>
          </Tabs>
        </Stack>
      )}
    </Paper>
  );
}
