import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  List,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconChevronDown, IconChevronRight } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../../api/client';
import { describeError } from '../../../api/errors';
import {
  acceptRulePackImport,
  fetchRulePackImport,
  flaggedDetections,
  rulePackQueryKey,
  rulePacksQueryKey,
  type AcceptedRules,
  type PackSummary,
  type ReplacedPack,
  type RulePackFileView,
  type RulePackImportDetail,
  type RuleReport,
} from '../../../api/rule-packs';
import { notifyDone } from '../../../components/notify';
import { PageLoader } from '../../../components/PageLoader';
import { Section } from '../../../components/Section';
import { useSession } from '../../../hooks/session';
import { usePageTitle } from '../../../hooks/usePageTitle';
import { formatBytes, formatDateTime, formatElapsed } from '../../../i18n/format';
import { rulePacksCatalog, usePageCatalog } from '../../../i18n/page-catalogs';
import { HOME_PATH } from '../../../routes/next-path';
import { BODY_TEXT } from '../../../theme';
import { AnalysisProgress, ImportStatusBadge } from './ImportStatus';
import { ANALYSING_REFRESH_MS, FLAG_LABELS, FORMAT_LABELS, REMOVAL_LABELS } from './rule-pack-labels';

/** Clean files listed per rule before "and N more" (the API keeps the first ten). */
const SHOWN_CLEAN_FILES = 3;

/** Processor time: milliseconds while under a second (a small pack's scan takes a few), else as elapsed times are. */
function formatCpu(millis: number): string {
  return millis < 1000 ? `${Math.round(millis)} ms` : formatElapsed(millis / 1000);
}

/** Text that may be one long word (a path, a namespace): wrapped anywhere rather than widening its column. */
const WRAP_ANYWHERE = { overflowWrap: 'anywhere' } as const;

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="sm" c="dimmed" component="dt">
        {label}
      </Text>
      <Text component="dd" m={0} fw={600} size="lg">
        {children}
      </Text>
    </div>
  );
}

function Summary({ summary }: { summary: PackSummary }) {
  const { t } = useTranslation();
  return (
    <Section title={t('rulePacks.summary.title')}>
      <SimpleGrid cols={{ base: 2, md: 3, lg: 6 }} component="dl" m={0}>
        <Fact label={t('rulePacks.summary.files')}>
          {t('rulePacks.summary.filesValue', { compiled: summary.compiled, files: summary.files })}
        </Fact>
        <Fact label={t('rulePacks.summary.failedFiles')}>{summary.failed}</Fact>
        <Fact label={t('rulePacks.summary.rules')}>{summary.rules}</Fact>
        <Fact label={t('rulePacks.summary.flagged')}>{summary.flaggedRules}</Fact>
        <Fact label={t('rulePacks.summary.cleanFilesHit')}>
          {t('rulePacks.summary.cleanFilesHitValue', {
            hit: summary.cleanCorpus.filesHit,
            files: summary.cleanCorpus.files,
          })}
        </Fact>
        <Fact label={t('rulePacks.summary.cpu')}>{formatCpu(summary.cleanCorpus.cpuMillis)}</Fact>
      </SimpleGrid>
      <Text size="sm" c="dimmed" mt="md">
        {t('rulePacks.summary.duration', { elapsed: formatElapsed(summary.millis / 1000) })}
      </Text>
    </Section>
  );
}

function FlagBadges({ rule }: { rule: RuleReport }) {
  const { t } = useTranslation();
  if (rule.flagged.length === 0) return <Text size="sm">—</Text>;
  return (
    <Group gap={4}>
      {rule.flagged.map((flag) => (
        <Badge key={flag} variant="light" color="orange" c={BODY_TEXT}>
          {t(FLAG_LABELS[flag])}
        </Badge>
      ))}
    </Group>
  );
}

function CleanHits({ rule }: { rule: RuleReport }) {
  const { t } = useTranslation();
  if (rule.cleanHits === 0) return <Text size="sm">0</Text>;
  const shown = rule.cleanFiles.slice(0, SHOWN_CLEAN_FILES);
  return (
    <Stack gap={2}>
      <Text size="sm" fw={600}>
        {rule.cleanHits}
      </Text>
      {shown.map((file) => (
        <Text key={file} size="xs" ff="monospace" style={WRAP_ANYWHERE}>
          {file}
        </Text>
      ))}
      {rule.cleanHits > shown.length && (
        <Text size="xs" c="dimmed">
          {t('rulePacks.rules.more', { n: rule.cleanHits - shown.length })}
        </Text>
      )}
    </Stack>
  );
}

/** A file's rules (and, when it does not compile, every error the analysis kept). */
function FileRules({ file }: { file: RulePackFileView }) {
  const { t } = useTranslation();
  const rules = file.rules ?? [];
  return (
    <Stack gap="sm" py="xs">
      {file.compiled === false && (file.errors ?? []).length > 1 && (
        <List size="sm" spacing={2}>
          {(file.errors ?? []).map((error, index) => (
            <List.Item key={index} style={WRAP_ANYWHERE}>
              {error.line === undefined
                ? error.message
                : t('rulePacks.files.errorAt', { line: error.line, message: error.message })}
            </List.Item>
          ))}
        </List>
      )}
      {rules.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('rulePacks.files.noRules')}
        </Text>
      ) : (
        <Table fz="sm" aria-label={t('rulePacks.files.rulesOf', { path: file.path })} withRowBorders={false}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rulePacks.rules.name')}</Table.Th>
              <Table.Th>{t('rulePacks.rules.private')}</Table.Th>
              <Table.Th>{t('rulePacks.rules.cleanHits')}</Table.Th>
              <Table.Th>{t('rulePacks.rules.flags')}</Table.Th>
              <Table.Th>{t('rulePacks.rules.warnings')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.map((rule) => (
              <Table.Tr key={`${rule.name}:${rule.line}`}>
                <Table.Td>
                  <Code style={WRAP_ANYWHERE}>{rule.name}</Code>
                </Table.Td>
                <Table.Td>{rule.private ? t('rulePacks.rules.privateYes') : '—'}</Table.Td>
                <Table.Td maw={280}>
                  <CleanHits rule={rule} />
                </Table.Td>
                <Table.Td>
                  <FlagBadges rule={rule} />
                </Table.Td>
                <Table.Td maw={320}>
                  {rule.warnings.length === 0 ? (
                    '—'
                  ) : (
                    <Stack gap={2}>
                      {rule.warnings.map((warning, index) => (
                        <Text key={index} size="xs" style={WRAP_ANYWHERE}>
                          {warning}
                        </Text>
                      ))}
                    </Stack>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function FileResult({ file }: { file: RulePackFileView }) {
  const { t } = useTranslation();
  if (file.compiled === undefined) {
    return (
      <Text size="sm" c="dimmed">
        {t('rulePacks.files.notAnalysed')}
      </Text>
    );
  }
  if (file.compiled) {
    return (
      <Badge variant="light" color="teal" c={BODY_TEXT}>
        {t('rulePacks.files.compiled')}
      </Badge>
    );
  }
  const first = file.errors?.[0];
  return (
    <Stack gap={4}>
      <Badge variant="light" color="red" c={BODY_TEXT}>
        {t('rulePacks.files.notCompiled')}
      </Badge>
      {first && (
        <Text size="xs" style={WRAP_ANYWHERE} lineClamp={3}>
          {first.line === undefined
            ? first.message
            : t('rulePacks.files.errorAt', { line: first.line, message: first.message })}
        </Text>
      )}
    </Stack>
  );
}

function FileRow({ file, percent }: { file: RulePackFileView; percent: Intl.NumberFormat }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const rulesId = `rules-${file.namespace}`;
  const analysed = file.compiled !== undefined;
  return (
    <>
      <Table.Tr>
        <Table.Td w={44}>
          {/* before the analysis a file has no report, and its rules are not read yet */}
          {analysed && (
            <ActionIcon
              variant="subtle"
              color="gray"
              aria-expanded={open}
              aria-controls={open ? rulesId : undefined}
              aria-label={
                open
                  ? t('rulePacks.files.hideRules', { path: file.path })
                  : t('rulePacks.files.showRules', { path: file.path, n: file.rules?.length ?? 0 })
              }
              onClick={() => setOpen(!open)}
            >
              {open ? <IconChevronDown size={16} aria-hidden /> : <IconChevronRight size={16} aria-hidden />}
            </ActionIcon>
          )}
        </Table.Td>
        <Table.Td maw={480}>
          <Text size="sm" ff="monospace" style={WRAP_ANYWHERE}>
            {file.path}
          </Text>
          <Text size="xs" c="dimmed" mt={2} style={WRAP_ANYWHERE}>
            {t('rulePacks.files.namespaceOf', { namespace: file.namespace })}
          </Text>
        </Table.Td>
        <Table.Td maw={360}>
          <FileResult file={file} />
        </Table.Td>
        <Table.Td ta="right">{file.warnings?.length ?? '—'}</Table.Td>
        <Table.Td ta="right">{file.profile ? percent.format(file.profile.share) : '—'}</Table.Td>
      </Table.Tr>
      {open && analysed && (
        <Table.Tr id={rulesId} bg="var(--mantine-color-default-hover)">
          <Table.Td />
          <Table.Td colSpan={4}>
            <FileRules file={file} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

function FilesTable({ files }: { files: RulePackFileView[] }) {
  const { t, i18n } = useTranslation();
  const percent = new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 1 });
  return (
    <Section title={t('rulePacks.files.title')}>
      {files.length === 0 ? (
        <Text c="dimmed">{t('rulePacks.files.empty')}</Text>
      ) : (
        <>
          <Table.ScrollContainer minWidth={820}>
            <Table verticalSpacing="sm" fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th />
                  <Table.Th>{t('rulePacks.files.path')}</Table.Th>
                  <Table.Th>{t('rulePacks.files.result')}</Table.Th>
                  <Table.Th ta="right">{t('rulePacks.files.warnings')}</Table.Th>
                  <Table.Th ta="right">{t('rulePacks.files.share')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {files.map((file) => (
                  <FileRow key={file.namespace} file={file} percent={percent} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Text size="xs" c="dimmed" mt="sm">
            {t('rulePacks.files.share')}: {t('rulePacks.files.shareHint')}
          </Text>
        </>
      )}
    </Section>
  );
}

function SkippedEntries({ found }: { found: RulePackImportDetail }) {
  const { t } = useTranslation();
  if (found.skipped.length === 0) return null;
  return (
    <Section title={t('rulePacks.skipped.title')}>
      <Table.ScrollContainer minWidth={600}>
        <Table fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rulePacks.skipped.path')}</Table.Th>
              <Table.Th>{t('rulePacks.skipped.reason')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {found.skipped.map((entry) => (
              <Table.Tr key={entry.path}>
                <Table.Td maw={480}>
                  <Text size="sm" ff="monospace" style={WRAP_ANYWHERE}>
                    {entry.path}
                  </Text>
                </Table.Td>
                <Table.Td>{entry.reason}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Section>
  );
}

/**
 * What accepting replaces: the files the channel's database has from a pack of this name, and those it takes out
 * (not in this import, or not compiling in it), so that a new version of a pack drops nothing unseen.
 */
function ReplacedPackNotice({ pack, replaces }: { pack: string; replaces: ReplacedPack }) {
  const { t } = useTranslation();
  return (
    <Alert
      color={replaces.removed.length ? 'yellow' : 'blue'}
      icon={<IconAlertTriangle aria-hidden />}
      // a yellow title on its light background is below the contrast text needs: the title in the body's colour
      styles={{ title: { color: BODY_TEXT } }}
      title={t('rulePacks.replaces.title', { pack, channel: replaces.channel })}
    >
      <Stack gap="xs">
        <Text size="sm">
          {t('rulePacks.replaces.description', { version: replaces.version, files: replaces.files })}
        </Text>
        {replaces.removed.length === 0 ? (
          <Text size="sm">{t('rulePacks.replaces.noneRemoved')}</Text>
        ) : (
          <>
            <Text size="sm" fw={600}>
              {t('rulePacks.replaces.removed', { n: replaces.removed.length })}
            </Text>
            <List size="sm" spacing={2}>
              {replaces.removed.map((file) => (
                <List.Item key={file.namespace} style={WRAP_ANYWHERE}>
                  <Code>{file.path}</Code> — {t(REMOVAL_LABELS[file.reason])}
                </List.Item>
              ))}
            </List>
          </>
        )}
      </Stack>
    </Alert>
  );
}

/**
 * The two ways to accept an analysed pack, each after a confirmation that says what happens: one signature change of
 * the files that compile, validated, then approved by an analyst other than the admin. Then the change's page.
 */
function AcceptActions({ found }: { found: RulePackImportDetail }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [choice, setChoice] = useState<AcceptedRules | null>(null);
  const accept = useMutation({
    mutationFn: (rules: AcceptedRules) => acceptRulePackImport(found.id, rules),
    onSuccess: async (change) => {
      notifyDone(t, t('rulePacks.accept.done', { id: change.id.slice(0, 8) }));
      await queryClient.invalidateQueries({ queryKey: rulePacksQueryKey });
      await navigate(`/changes/${change.id}`);
    },
  });
  const failure = accept.isError ? describeError(accept.error) : undefined;
  const compiledFiles = found.files.filter((file) => file.compiled);
  const leftOut = compiledFiles.flatMap((file) =>
    flaggedDetections(file).map((rule) => ({ file: file.namespace, rule: rule.name })),
  );
  const rules = compiledFiles.reduce((sum, file) => sum + (file.rules?.length ?? 0), 0);
  const failed = found.files.length - compiledFiles.length;
  const close = () => {
    setChoice(null);
    accept.reset();
  };
  return (
    <Section title={t('rulePacks.accept.title')}>
      <Stack gap="md">
        <Text size="sm">{t('rulePacks.accept.description')}</Text>
        {found.replaces && <ReplacedPackNotice pack={found.packName} replaces={found.replaces} />}
        <Group>
          <Button onClick={() => setChoice('unflagged')} disabled={compiledFiles.length === 0}>
            {t('rulePacks.accept.unflagged')}
          </Button>
          <Button variant="default" onClick={() => setChoice('all')} disabled={compiledFiles.length === 0}>
            {t('rulePacks.accept.all')}
          </Button>
        </Group>
      </Stack>
      <Modal
        opened={choice !== null}
        onClose={close}
        size="lg"
        title={
          choice === 'all'
            ? t('rulePacks.accept.confirmAllTitle', { pack: found.packName })
            : t('rulePacks.accept.confirmUnflaggedTitle', { pack: found.packName })
        }
        closeButtonProps={{ 'aria-label': t('rulePacks.accept.cancel') }}
      >
        <Stack gap="sm">
          <Text>
            {t('rulePacks.accept.effect', {
              files: compiledFiles.length,
              rules: choice === 'unflagged' ? rules - leftOut.length : rules,
              channel: found.channel,
            })}
          </Text>
          {failed > 0 && <Text>{t('rulePacks.accept.failedLeftOut', { n: failed })}</Text>}
          {found.replaces && (
            <Text>
              {t('rulePacks.accept.replacesEffect', {
                files: found.replaces.files,
                pack: found.packName,
                version: found.replaces.version,
                removed: found.replaces.removed.length,
              })}
            </Text>
          )}
          {leftOut.length === 0 ? (
            <Text>{t('rulePacks.accept.noneFlagged')}</Text>
          ) : choice === 'all' ? (
            <Text>{t('rulePacks.accept.keepsFlagged')}</Text>
          ) : (
            <>
              <Text>{t('rulePacks.accept.leavesOut', { n: leftOut.length })}</Text>
              <List size="sm">
                {leftOut.map(({ file, rule }) => (
                  <List.Item key={`${file}:${rule}`} style={WRAP_ANYWHERE}>
                    <Code>{`${file}:${rule}`}</Code>
                  </List.Item>
                ))}
              </List>
            </>
          )}
          <Text fw={600}>{t('rulePacks.accept.then')}</Text>
          {failure && (
            <Alert color="red" role="alert" title={t('rulePacks.accept.failed')}>
              {t(failure.key, failure.values)}
            </Alert>
          )}
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={close}>
              {t('rulePacks.accept.cancel')}
            </Button>
            <Button loading={accept.isPending} onClick={() => choice && accept.mutate(choice)}>
              {t('rulePacks.accept.confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Section>
  );
}

/**
 * `/rule-packs/:importId` (admins): an import, its analysis live while it runs, then its quality report (the summary,
 * each file compiled or why not with its rules' clean-corpus hits and flags, the entries skipped) and accepting it.
 */
export function RulePackPage() {
  usePageCatalog(rulePacksCatalog);
  const { t, i18n } = useTranslation();
  const { importId = '' } = useParams();
  const { data: session } = useSession();
  const isAdmin = session?.user.role === 'admin';
  const found = useQuery({
    queryKey: rulePackQueryKey(importId),
    queryFn: () => fetchRulePackImport(importId),
    enabled: isAdmin,
    refetchInterval: (query) => (query.state.data?.status === 'analysing' ? ANALYSING_REFRESH_MS : false),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
  usePageTitle(found.data?.packName ?? t('rulePacks.title'));
  if (!session) return null;
  if (!isAdmin) return <Navigate to={HOME_PATH} replace />;
  if (found.isPending) return <PageLoader />;

  const back = (
    <Anchor component={Link} to="/rule-packs" size="sm">
      {t('rulePacks.pack.backToList')}
    </Anchor>
  );
  if (found.isError) {
    const missing = found.error instanceof ApiError && [400, 404].includes(found.error.status);
    const failure = describeError(found.error);
    return (
      <Stack gap="lg" maw={720}>
        {back}
        <Alert
          color={missing ? 'yellow' : 'red'}
          icon={<IconAlertTriangle aria-hidden />}
          title={missing ? t('rulePacks.pack.notFound') : t('rulePacks.pack.failed')}
        >
          {!missing && t(failure.key, failure.values)}
        </Alert>
      </Stack>
    );
  }
  const pack = found.data;
  return (
    <Stack gap="lg" maw={1200}>
      {back}
      <div>
        <Title order={1} size="h2" style={WRAP_ANYWHERE}>
          {pack.packName}
        </Title>
        <Group gap="xs" mt={6}>
          <ImportStatusBadge status={pack.status} />
          <Badge variant="outline" color="gray" c={BODY_TEXT}>
            {t(FORMAT_LABELS[pack.format])}
          </Badge>
          <Text size="sm" c="dimmed">
            {t('rulePacks.pack.onChannel', { channel: pack.channel })}
          </Text>
        </Group>
        <Text size="sm" c="dimmed" mt={4} style={WRAP_ANYWHERE}>
          {t('rulePacks.pack.fileFacts', {
            file: pack.fileName,
            size: formatBytes(pack.bytes, i18n.language),
            at: formatDateTime(pack.createdAt, i18n.language),
          })}
        </Text>
      </div>
      {pack.status === 'analysing' && (
        <Paper withBorder p="lg" radius="md">
          <Text mb="sm">{t('rulePacks.pack.analysing')}</Text>
          <AnalysisProgress progress={pack.progress} />
        </Paper>
      )}
      {pack.status === 'failed' && (
        <Alert
          color="red"
          role="alert"
          icon={<IconAlertTriangle aria-hidden />}
          title={t('rulePacks.pack.analysisFailed')}
        >
          {pack.error}
        </Alert>
      )}
      {pack.changeId && (
        <Alert color="teal" title={t('rulePacks.pack.accepted')}>
          <Anchor component={Link} to={`/changes/${pack.changeId}`}>
            {t('rulePacks.pack.toChange', { id: pack.changeId.slice(0, 8) })}
          </Anchor>
        </Alert>
      )}
      {pack.summary && <Summary summary={pack.summary} />}
      {pack.status === 'analysed' && <AcceptActions found={pack} />}
      <FilesTable files={pack.files} />
      <SkippedEntries found={pack} />
    </Stack>
  );
}
