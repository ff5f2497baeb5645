import {
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
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { IconDownload, IconRocket } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { buildsQueryKey, fetchBuild, publishBuild, type BuildDetail } from '../../../api/builds';
import { describeError } from '../../../api/errors';
import { notifyDone } from '../../../components/notify';
import { useSession } from '../../../hooks/session';
import { usePageTitle } from '../../../hooks/usePageTitle';
import { formatBytes, formatDateTime, formatElapsed } from '../../../i18n/format';
import { buildsCatalog, rulesCatalog, usePageCatalog } from '../../../i18n/page-catalogs';
import type { ValidationReport as ValidationReportView } from '../../../api/signature-changes';
import { ValidationReport } from '../rules/ValidationReport';
import { BUILD_KIND_LABELS, GATE_LABELS } from './build-labels';
import { BuildProgress, BuildStatusBadge } from './BuildStatus';
import { Section } from '../../../components/Section';

interface ManifestView {
  files?: Array<{ name: string; sha256: string; size: number }>;
  ruleCount?: number;
  allowlistCount?: number;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text component="div">{children}</Text>
    </div>
  );
}

function Delta({ delta }: { delta: NonNullable<BuildDetail['delta']> }) {
  const { t } = useTranslation();
  const groups = [
    { label: t('builds.delta.added', { n: delta.rules.counts.added }), names: delta.rules.added },
    { label: t('builds.delta.changed', { n: delta.rules.counts.changed }), names: delta.rules.changed },
    { label: t('builds.delta.removed', { n: delta.rules.counts.removed }), names: delta.rules.removed },
  ];
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {groups.map((group) => (
          <div key={group.label}>
            <Text fw={600} size="sm">
              {group.label}
            </Text>
            {group.names.length > 0 && (
              <List size="sm" mt={4}>
                {group.names.map((name) => (
                  <List.Item key={name}>
                    <Code>{name}</Code>
                  </List.Item>
                ))}
              </List>
            )}
          </div>
        ))}
      </SimpleGrid>
      <Text size="sm">
        {t('builds.delta.allowlist', { added: delta.allowlist.added, removed: delta.allowlist.removed })}
      </Text>
    </Stack>
  );
}

function PublishButton({ build, channel }: { build: BuildDetail; channel: string | undefined }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const publish = useMutation({
    mutationFn: () => publishBuild(build.version, channel),
    onSuccess: async (published) => {
      setOpen(false);
      notifyDone(t, t('builds.publish.done', { version: published.version, cases: published.casesFixed }));
      await queryClient.invalidateQueries({ queryKey: buildsQueryKey });
    },
  });
  const failure = publish.error ? describeError(publish.error) : undefined;
  const cases = build.casesClosedByPublishing;
  return (
    <>
      <Button leftSection={<IconRocket size={16} aria-hidden />} onClick={() => setOpen(true)}>
        {t('builds.publish.button')}
      </Button>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title={t('builds.publish.title', { version: build.version, channel: build.channel })}
        closeButtonProps={{ 'aria-label': t('builds.publish.cancel') }}
      >
        <Stack gap="sm">
          <Text>{t('builds.publish.effect', { version: build.version, channel: build.channel })}</Text>
          {cases.length === 0 ? (
            <Text>{t('builds.publish.noCases')}</Text>
          ) : (
            <>
              <Text>{t('builds.publish.cases', { n: cases.length })}</Text>
              <List size="sm">
                {cases.map((found) => (
                  <List.Item key={found.id}>{found.reference}</List.Item>
                ))}
              </List>
            </>
          )}
          {failure && (
            <Alert color="red" role="alert" title={t('builds.publish.failed')}>
              {t(failure.key, failure.values)}
            </Alert>
          )}
          <Group justify="flex-end" mt="sm">
            <Button variant="default" onClick={() => setOpen(false)}>
              {t('builds.publish.cancel')}
            </Button>
            <Button loading={publish.isPending} onClick={() => publish.mutate()}>
              {t('builds.publish.confirm', { version: build.version })}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/**
 * A database build: where it is or how it ended, which changes and cases it holds, its proof (each gate with its
 * evidence, the detection diff), what it changes against its parent, its signed manifest and downloads; and, for a
 * release engineer, publishing a stored build after a confirmation that says what it will do.
 */
export function BuildPage() {
  usePageCatalog(buildsCatalog);
  // the proof is shown as a change's validation report is, with its words
  usePageCatalog(rulesCatalog);
  const { t, i18n } = useTranslation();
  const { version: versionText } = useParams();
  const [params] = useSearchParams();
  const channel = params.get('channel') ?? undefined;
  const version = Number(versionText);
  const valid = Number.isInteger(version) && version > 0 && version <= 2_147_483_647;
  usePageTitle(t('builds.version', { version: versionText }));
  const { data: session } = useSession();
  const build = useQuery({
    queryKey: [...buildsQueryKey, 'detail', channel ?? null, version],
    queryFn: () => fetchBuild(version, channel),
    enabled: valid,
  });
  const found = build.data;
  const failure = build.error ? describeError(build.error) : undefined;

  if (!valid || failure?.key === 'errors.notFound') {
    return (
      <Alert color="yellow" title={t('builds.notFound')} maw={720}>
        <Anchor component={Link} to="/builds">
          {t('builds.backToList')}
        </Anchor>
      </Alert>
    );
  }
  const manifest = (found?.manifest ?? {}) as ManifestView;
  const buildFailure = found?.failure as { gate?: string; detail?: string; changeIds?: string[] } | null | undefined;

  return (
    <Stack gap="lg" maw={1100}>
      <Anchor component={Link} to={channel ? `/builds?channel=${encodeURIComponent(channel)}` : '/builds'} size="sm">
        {t('builds.backToList')}
      </Anchor>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div>
          <Title order={1} size="h2">
            {t('builds.version', { version: versionText })}
          </Title>
          {found && (
            <Group gap="xs" mt={6}>
              <BuildStatusBadge status={found.status} />
              <Badge variant="outline" color="gray" c="var(--mantine-color-text)">
                {t(BUILD_KIND_LABELS[found.kind])}
              </Badge>
              <Text size="sm" c="dimmed">
                {t('builds.onChannel', { channel: found.channel })}
              </Text>
            </Group>
          )}
        </div>
        {found?.status === 'stored' && session?.user.role === 'release' && (
          <PublishButton build={found} channel={channel} />
        )}
      </Group>
      {failure && (
        <Alert color="red" title={t('builds.failed')}>
          {t(failure.key, failure.values)}
        </Alert>
      )}
      {!found && !failure && <Skeleton height={300} radius="md" />}
      {found && (
        <>
          {found.status === 'building' && (
            <Paper withBorder p="lg" radius="md">
              <BuildProgress build={found} />
            </Paper>
          )}
          {buildFailure?.gate && (
            <Alert
              color="red"
              title={t('builds.failure.title', {
                gate: GATE_LABELS[buildFailure.gate] ? t(GATE_LABELS[buildFailure.gate]) : buildFailure.gate,
              })}
              role="alert"
            >
              <Text size="sm">{buildFailure.detail}</Text>
              {(buildFailure.changeIds ?? []).length > 0 && (
                <Text size="sm" mt="xs">
                  {t('builds.failure.changes')}{' '}
                  {(buildFailure.changeIds ?? []).map((id, index) => (
                    <span key={id}>
                      {index > 0 && ', '}
                      <Anchor component={Link} to={`/changes/${id}`} ff="monospace">
                        {id.slice(0, 8)}
                      </Anchor>
                    </span>
                  ))}
                </Text>
              )}
            </Alert>
          )}
          <Paper withBorder p="lg" radius="md">
            <SimpleGrid cols={{ base: 2, md: 4 }}>
              <Fact label={t('builds.columns.parent')}>{found.parentVersion ?? '—'}</Fact>
              <Fact label={t('builds.columns.started')}>{formatDateTime(found.startedAt, i18n.language)}</Fact>
              <Fact label={t('builds.duration')}>
                {found.durationMs === null ? t('builds.running') : formatElapsed(found.durationMs / 1000)}
              </Fact>
              <Fact label={t('builds.publishedAt')}>
                {found.publishedAt ? formatDateTime(found.publishedAt, i18n.language) : t('builds.notPublished')}
              </Fact>
            </SimpleGrid>
          </Paper>
          <Section title={t('builds.contents')}>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Fact label={t('builds.columns.changes')}>
                {found.changes.length === 0
                  ? '—'
                  : found.changes.map((id, index) => (
                      <span key={id}>
                        {index > 0 && ', '}
                        <Anchor component={Link} to={`/changes/${id}`} ff="monospace">
                          {id.slice(0, 8)}
                        </Anchor>
                      </span>
                    ))}
              </Fact>
              <Fact label={t('builds.columns.cases')}>
                {found.cases.length === 0 ? '—' : found.cases.map((c) => c.reference).join(', ')}
              </Fact>
            </SimpleGrid>
          </Section>
          {found.report && (
            <Paper withBorder p="lg" radius="md">
              <ValidationReport
                heading={t('builds.proof')}
                of="build"
                change={{
                  status: found.status === 'building' ? 'validating' : 'validated',
                  progress: null,
                  report: found.report as unknown as ValidationReportView,
                }}
              />
            </Paper>
          )}
          {found.delta && (
            <Section title={t('builds.delta.title')}>
              <Delta delta={found.delta} />
            </Section>
          )}
          {found.manifestSha256 && (
            <Section title={t('builds.manifest.title')}>
              <Stack gap="sm">
                <Fact label={t('builds.manifest.fingerprint')}>
                  <Code>{found.manifestSha256}</Code>
                </Fact>
                <Fact label={t('builds.manifest.signature')}>
                  <Code style={{ wordBreak: 'break-all' }}>{found.signature}</Code>
                </Fact>
                <Text size="sm">
                  {t('builds.manifest.counts', {
                    rules: manifest.ruleCount ?? 0,
                    entries: manifest.allowlistCount ?? 0,
                  })}
                </Text>
                <Table.ScrollContainer minWidth={700}>
                  <Table fz="sm">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('builds.manifest.file')}</Table.Th>
                        <Table.Th ta="right">{t('builds.manifest.size')}</Table.Th>
                        <Table.Th>SHA-256</Table.Th>
                        <Table.Th>{t('builds.manifest.download')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {['manifest.json', 'manifest.sig', ...(manifest.files ?? []).map((file) => file.name)].map(
                        (name) => {
                          const file = manifest.files?.find((entry) => entry.name === name);
                          return (
                            <Table.Tr key={name}>
                              <Table.Td>
                                <Code>{name}</Code>
                              </Table.Td>
                              <Table.Td ta="right">{file ? formatBytes(file.size, i18n.language) : '—'}</Table.Td>
                              <Table.Td ff="monospace" fz="xs">
                                {file?.sha256 ?? (name === 'manifest.json' ? found.manifestSha256 : '—')}
                              </Table.Td>
                              <Table.Td>
                                {found.downloads[name] && (
                                  <Anchor
                                    href={found.downloads[name]}
                                    download={name}
                                    aria-label={t('builds.manifest.downloadFile', { name })}
                                  >
                                    <IconDownload size={16} aria-hidden />
                                  </Anchor>
                                )}
                              </Table.Td>
                            </Table.Tr>
                          );
                        },
                      )}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
                {found.downloadsExpireAt && (
                  <Text size="xs" c="dimmed">
                    {t('builds.manifest.expires', { at: formatDateTime(found.downloadsExpireAt, i18n.language) })}
                  </Text>
                )}
              </Stack>
            </Section>
          )}
        </>
      )}
    </Stack>
  );
}
