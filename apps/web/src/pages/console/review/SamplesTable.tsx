import { Anchor, Button, Code, Group, Paper, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { sampleDownloadPath, type AnalystCase } from '../../../api/review';
import { formatBytes } from '../../../i18n/format';
import { CONSOLE_STATUS_LABELS } from '../console-labels';

type Sample = AnalystCase['samples'][number];
type TriageSample = NonNullable<AnalystCase['triage']>['samples'][number];

function TriageResult({ result }: { result: TriageSample | undefined }) {
  const { t } = useTranslation();
  if (!result) return <>{t('reviewCase.samples.noTriage')}</>;
  if (result.allowlisted) return <>{t('reviewCase.samples.allowlisted')}</>;
  if (!result.detected) return <>{t('reviewCase.samples.notDetected')}</>;
  return result.rules.length > 0 ? (
    <>{t('reviewCase.samples.detected', { rules: result.rules.join(', ') })}</>
  ) : (
    <>{t('reviewCase.samples.detectedNoRule')}</>
  );
}

/** `value` null: a digest the intake job has not computed yet (the upload computes only the SHA-256). */
function Hash({ name, value }: { name: string; value: string | null }) {
  const { t } = useTranslation();
  const testId = `sample-${name.toLowerCase().replace('-', '')}`;
  return (
    <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
      <Text span size="xs" c="dimmed" mr={4} style={{ whiteSpace: 'nowrap' }}>
        {name}
      </Text>
      {value === null ? (
        <Text span size="xs" c="dimmed" fs="italic" data-testid={testId}>
          {t('reviewCase.samples.hashPending')}
        </Text>
      ) : (
        <Code data-testid={testId}>{value}</Code>
      )}
    </Text>
  );
}

/**
 * The samples with their hashes, what the databases matched at intake, the other cases that have them, and their
 * download: an `infected` ZIP, sent by the API as an attachment (never opened in the browser).
 */
export function SamplesTable({
  found,
  firstDownload,
}: {
  found: AnalystCase;
  firstDownload: React.Ref<HTMLAnchorElement>;
}) {
  const { t, i18n } = useTranslation();
  const triage = found.triage;
  const byHash = (samples: TriageSample[] | undefined, sample: Sample) =>
    samples?.find((s) => s.sha256 === sample.sha256);
  return (
    <Paper withBorder radius="md" component="section" aria-labelledby="samples-heading" style={{ overflowX: 'auto' }}>
      <Title order={2} size="h4" id="samples-heading" p="md" pb={0}>
        {t('reviewCase.samples.heading')}
      </Title>
      <Table verticalSpacing="sm" miw={980}>
        <Table.Caption>{t('reviewCase.samples.caption')}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{t('reviewCase.samples.file')}</Table.Th>
            <Table.Th scope="col">{t('reviewCase.samples.hashes')}</Table.Th>
            <Table.Th scope="col">{t('reviewCase.samples.triage')}</Table.Th>
            <Table.Th scope="col">{t('reviewCase.samples.others')}</Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>{t('reviewCase.samples.download')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {found.samples.map((sample, index) => (
            <Table.Tr key={sample.sha256} data-testid="sample-row">
              <Table.Td style={{ overflowWrap: 'anywhere', maxWidth: 220 }}>
                <Text fw={500}>{sample.fileName}</Text>
                {sample.archivePath && (
                  <Text size="xs" c="dimmed">
                    {t('reviewCase.samples.inArchive', { path: sample.archivePath })}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {t('reviewCase.samples.type')}: {sample.type} · {t('reviewCase.samples.size')}:{' '}
                  {formatBytes(sample.size, i18n.language)}
                </Text>
              </Table.Td>
              <Table.Td style={{ maxWidth: 420 }}>
                <Stack gap={2}>
                  <Hash name="SHA-256" value={sample.sha256} />
                  <Hash name="SHA-1" value={sample.sha1} />
                  <Hash name="MD5" value={sample.md5} />
                </Stack>
              </Table.Td>
              <Table.Td data-testid="sample-triage">
                {triage ? (
                  <Stack gap={2}>
                    <Text size="sm">
                      <TriageResult result={byHash(triage.samples, sample)} />
                    </Text>
                    <Text size="xs" c="dimmed">
                      {t('reviewCase.samples.triageVersion', { version: triage.databaseVersion })}
                    </Text>
                    {triage.scheduled && (
                      <Text size="xs" c="dimmed">
                        {t('reviewCase.samples.scheduledVersion', { version: triage.scheduled.databaseVersion })}{' '}
                        <TriageResult result={byHash(triage.scheduled.samples, sample)} />
                      </Text>
                    )}
                  </Stack>
                ) : (
                  <Text size="sm">{t('reviewCase.samples.noTriage')}</Text>
                )}
              </Table.Td>
              <Table.Td data-testid="sample-others">
                {sample.otherCases.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {t('reviewCase.samples.noOthers')}
                  </Text>
                ) : (
                  <Stack gap={2}>
                    {sample.otherCases.map((other) => (
                      <Text size="sm" key={other.id}>
                        <Anchor component={Link} to={`/review/${other.id}`} underline="always">
                          {other.reference}
                        </Anchor>{' '}
                        · {other.organization.name} · {t(CONSOLE_STATUS_LABELS[other.status])}
                      </Text>
                    ))}
                    {sample.otherCasesTotal > sample.otherCases.length && (
                      <Text size="xs" c="dimmed">
                        {t('reviewCase.samples.moreOthers', {
                          count: sample.otherCasesTotal - sample.otherCases.length,
                        })}
                      </Text>
                    )}
                  </Stack>
                )}
              </Table.Td>
              <Table.Td>
                <Group>
                  <Button
                    component="a"
                    href={sampleDownloadPath(found.id, sample.sha256)}
                    download={`${sample.sha256}.zip`}
                    ref={index === 0 ? firstDownload : undefined}
                    variant="light"
                    size="compact-sm"
                    leftSection={<IconDownload size={16} aria-hidden />}
                    aria-label={t('reviewCase.samples.downloadLabel', { name: sample.fileName })}
                    data-testid="sample-download"
                  >
                    {t('reviewCase.samples.download')}
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
