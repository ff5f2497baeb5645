import {
  Alert,
  Anchor,
  Button,
  FileInput,
  Group,
  Paper,
  Progress,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconFileImport, IconUpload } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate } from 'react-router';
import { describeError } from '../../../api/errors';
import {
  fetchRulePackImports,
  rulePacksQueryKey,
  uploadRulePack,
  type CreatedRulePackImport,
  type RulePackImportView,
} from '../../../api/rule-packs';
import { UploadCancelled, type Upload } from '../../../api/form-upload';
import { notifyDone } from '../../../components/notify';
import { Section } from '../../../components/Section';
import { useSession } from '../../../hooks/session';
import { usePageTitle } from '../../../hooks/usePageTitle';
import { formatBytes, formatDateTime } from '../../../i18n/format';
import { rulePacksCatalog, usePageCatalog } from '../../../i18n/page-catalogs';
import { HOME_PATH } from '../../../routes/next-path';
import { AnalysisProgress, ImportStatusBadge } from './ImportStatus';
import { ANALYSING_REFRESH_MS, FORMAT_LABELS } from './rule-pack-labels';

const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** As the API takes a pack's name (`packNameProblem`): it starts the namespaces of the pack's files. */
const PACK_NAME = /^(?![._]*$)[A-Za-z0-9_.-]{1,64}$/;

/** What a pack may be called: the API reads any file, but these are the ones it takes as a pack. */
const PACK_TYPES = '.yar,.yara,.zip,.tar.gz,.tgz,application/zip,application/gzip';

export function importPath(id: string): string {
  return `/rule-packs/${id}`;
}

function UploadForm() {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm<{ pack: File | null; channel: string; packName: string }>({
    mode: 'controlled',
    initialValues: { pack: null, channel: '', packName: '' },
    validate: {
      pack: (value) => (value ? null : t('rulePacks.upload.fileRequired')),
      packName: (value) =>
        !value.trim() || PACK_NAME.test(value.trim()) ? null : t('rulePacks.upload.packNameInvalid'),
      channel: (value) => (!value.trim() || CHANNEL.test(value.trim()) ? null : t('rulePacks.upload.channelInvalid')),
    },
  });
  const [sending, setSending] = useState<{ sent: number; total: number } | null>(null);
  const current = useRef<Upload<CreatedRulePackImport> | null>(null);
  // leaving the page ends an upload under way
  useEffect(() => () => current.current?.cancel(), []);
  const upload = useMutation({
    mutationFn: ({ pack, channel, packName }: { pack: File; channel: string; packName: string }) => {
      setSending({ sent: 0, total: pack.size });
      current.current = uploadRulePack({ pack, channel, packName, onProgress: setSending });
      return current.current.done;
    },
    onSuccess: async (created) => {
      notifyDone(t, t('rulePacks.upload.done', { pack: created.packName, files: created.files }));
      form.reset();
      await queryClient.invalidateQueries({ queryKey: rulePacksQueryKey });
    },
    onSettled: () => {
      current.current = null;
      setSending(null);
    },
  });
  const failure =
    upload.isError && !(upload.error instanceof UploadCancelled) ? describeError(upload.error) : undefined;
  const percent = sending && sending.total > 0 ? Math.min(100, Math.round((sending.sent / sending.total) * 100)) : 0;
  return (
    <Section title={t('rulePacks.upload.title')}>
      <form
        noValidate
        onSubmit={form.onSubmit(({ pack, channel, packName }) => {
          if (pack) upload.mutate({ pack, channel: channel.trim(), packName: packName.trim() });
        })}
      >
        <Stack gap="md">
          <Group align="flex-start" gap="md" wrap="wrap">
            <FileInput
              label={t('rulePacks.upload.file')}
              description={t('rulePacks.upload.fileHint')}
              placeholder={t('rulePacks.upload.filePlaceholder')}
              // the placeholder is text of the button (not an input's placeholder): at the dimmed text's contrast
              styles={{ placeholder: { color: 'var(--mantine-color-dimmed)' } }}
              accept={PACK_TYPES}
              leftSection={<IconFileImport size={16} aria-hidden />}
              clearable
              withAsterisk
              w={{ base: '100%', sm: 420 }}
              disabled={upload.isPending}
              {...form.getInputProps('pack')}
            />
            <TextInput
              label={t('rulePacks.upload.channel')}
              description={t('rulePacks.upload.channelHint')}
              placeholder="default"
              maxLength={64}
              w={{ base: '100%', sm: 220 }}
              disabled={upload.isPending}
              {...form.getInputProps('channel')}
            />
            <TextInput
              label={t('rulePacks.upload.packName')}
              description={t('rulePacks.upload.packNameHint')}
              maxLength={64}
              w={{ base: '100%', sm: 340 }}
              disabled={upload.isPending}
              {...form.getInputProps('packName')}
            />
          </Group>
          {failure && (
            <Alert color="red" role="alert" title={t('rulePacks.upload.failed')}>
              {t(failure.key, failure.values)}
            </Alert>
          )}
          {sending && (
            <Stack gap={4} maw={640}>
              <Text size="sm">
                {t('rulePacks.upload.sending', {
                  sent: formatBytes(sending.sent, i18n.language),
                  total: formatBytes(sending.total, i18n.language),
                })}
              </Text>
              <Progress value={percent} size="sm" aria-label={t('rulePacks.upload.sendingLabel')} />
            </Stack>
          )}
          <Group>
            <Button type="submit" leftSection={<IconUpload size={16} aria-hidden />} loading={upload.isPending}>
              {t('rulePacks.upload.submit')}
            </Button>
            {upload.isPending && (
              <Button variant="default" onClick={() => current.current?.cancel()}>
                {t('rulePacks.upload.cancel')}
              </Button>
            )}
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

/** What the analysis found, in a line: files that compile, rules, flagged rules; or why it failed; or the change. */
function ImportResult({ found }: { found: RulePackImportView }) {
  const { t } = useTranslation();
  if (found.status === 'analysing') return <AnalysisProgress progress={found.progress} />;
  if (found.status === 'failed') {
    return (
      <Text size="sm" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
        {found.error}
      </Text>
    );
  }
  const summary = found.summary;
  return (
    <Stack gap={2}>
      {summary && (
        <Text size="sm">
          {[
            t('rulePacks.result.compiled', { compiled: summary.compiled, files: summary.files }),
            t('rulePacks.result.rules', { rules: summary.rules }),
            summary.flaggedRules > 0
              ? t('rulePacks.result.flagged', { flagged: summary.flaggedRules })
              : t('rulePacks.result.noneFlagged'),
          ].join(' · ')}
        </Text>
      )}
      {found.changeId && (
        <Anchor component={Link} to={`/changes/${found.changeId}`} size="sm">
          {t('rulePacks.result.change', { id: found.changeId.slice(0, 8) })}
        </Anchor>
      )}
    </Stack>
  );
}

function ImportRow({ found }: { found: RulePackImportView }) {
  const { t, i18n } = useTranslation();
  return (
    <Table.Tr>
      <Table.Td maw={320}>
        <Anchor component={Link} to={importPath(found.id)} fw={600} style={{ overflowWrap: 'anywhere' }}>
          {found.packName}
        </Anchor>
        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {found.fileName} · {t(FORMAT_LABELS[found.format])} · {formatBytes(found.bytes, i18n.language)}
        </Text>
      </Table.Td>
      <Table.Td>{found.channel}</Table.Td>
      <Table.Td>
        <ImportStatusBadge status={found.status} />
      </Table.Td>
      <Table.Td miw={240}>
        <ImportResult found={found} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(found.createdAt, i18n.language)}</Text>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * `/rule-packs` (admins): a pack of YARA rules in, and the latest imports with their analysis, live while it runs
 * (read again every few seconds: no live event covers imports), what it found, and the change an accepted one became.
 */
export function RulePacksPage() {
  usePageCatalog(rulePacksCatalog);
  const { t } = useTranslation();
  usePageTitle(t('rulePacks.title'));
  const { data: session } = useSession();
  const isAdmin = session?.user.role === 'admin';
  const imports = useQuery({
    queryKey: [...rulePacksQueryKey, 'list'],
    queryFn: () => fetchRulePackImports(),
    enabled: isAdmin,
    refetchInterval: (query) =>
      query.state.data?.items.some((found) => found.status === 'analysing') ? ANALYSING_REFRESH_MS : false,
  });
  if (!session) return null;
  if (!isAdmin) return <Navigate to={HOME_PATH} replace />;
  const items = imports.data?.items ?? [];
  const failure = imports.error ? describeError(imports.error) : undefined;

  return (
    <Stack gap="lg" maw={1200}>
      <div>
        <Title order={1} size="h2">
          {t('rulePacks.title')}
        </Title>
        <Text c="dimmed" mt={4}>
          {t('rulePacks.description')}
        </Text>
      </div>
      <UploadForm />
      <Stack gap="xs" component="section" aria-labelledby="imports-heading">
        <div>
          <Title order={2} size="h3" id="imports-heading">
            {t('rulePacks.list.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('rulePacks.list.latest')}
          </Text>
        </div>
        {failure && (
          <Alert color="red" title={t('rulePacks.list.failed')}>
            {t(failure.key, failure.values)}
          </Alert>
        )}
        <Paper withBorder radius="md">
          <Table.ScrollContainer minWidth={860}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('rulePacks.columns.pack')}</Table.Th>
                  <Table.Th>{t('rulePacks.columns.channel')}</Table.Th>
                  <Table.Th>{t('rulePacks.columns.status')}</Table.Th>
                  <Table.Th>{t('rulePacks.columns.result')}</Table.Th>
                  <Table.Th>{t('rulePacks.columns.uploaded')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {imports.isPending &&
                  [0, 1, 2].map((row) => (
                    <Table.Tr key={row}>
                      <Table.Td colSpan={5}>
                        <Skeleton height={28} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                {items.map((found) => (
                  <ImportRow key={found.id} found={found} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {imports.isSuccess && items.length === 0 && (
            <Text c="dimmed" p="md">
              {t('rulePacks.list.empty')}
            </Text>
          )}
        </Paper>
      </Stack>
    </Stack>
  );
}
