import { Alert, Badge, Code, Group, List, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { IconCircleCheck, IconCircleX, IconLoader2 } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type {
  CheckResult,
  Evidence,
  SignatureChange,
  ValidationProgress as Progressing,
  ValidationReport as Report,
} from '../../../api/signature-changes';
import { CHECK_LABELS, COLLECTION_LABELS, STAGE_LABELS, STAGES } from './change-labels';

const shortHash = (sha256: string) => `${sha256.slice(0, 12)}…`;

/** Where a running validation is: its stage of four, and the files scanned of the stage's. */
export function ValidationProgress({ progress }: { progress: Progressing | null }) {
  const { t } = useTranslation();
  const index = progress ? STAGES.indexOf(progress.stage as (typeof STAGES)[number]) : -1;
  const stage = index >= 0 ? STAGES[index] : null;
  const files = progress?.files ?? 0;
  const scanned = progress?.scanned ?? 0;
  // each stage is a quarter; within a scanning stage, the share of its files done
  const within = files > 0 ? Math.min(scanned / files, 1) : 0;
  const value = Math.round(((Math.max(index, 0) + within) / STAGES.length) * 100);
  return (
    <Paper withBorder p="md" radius="md" data-testid="validation-progress">
      <Group gap="xs" mb="xs">
        <IconLoader2 size={18} aria-hidden />
        <Text fw={600}>{t('rules.progress.heading')}</Text>
      </Group>
      <Progress value={value} animated aria-label={t('rules.progress.label')} />
      <Text size="sm" mt="xs" role="status">
        {stage
          ? t('rules.progress.stage.step', { step: index + 1, of: STAGES.length, stage: t(STAGE_LABELS[stage]) })
          : t('rules.progress.waiting')}
        {stage && files > 0 && progress?.scanned !== undefined
          ? ` · ${t('rules.progress.files', { scanned, files })}`
          : ''}
      </Text>
    </Paper>
  );
}

function EvidenceTable({ evidence, caption }: { evidence: Evidence[]; caption: string }) {
  const { t } = useTranslation();
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped withTableBorder fz="sm">
        <Table.Caption>{caption}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('rules.report.evidence.file')}</Table.Th>
            <Table.Th>{t('rules.report.evidence.sha256')}</Table.Th>
            <Table.Th>{t('rules.report.evidence.rules')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {evidence.map((item) => (
            <Table.Tr key={`${item.sha256}-${item.file}`}>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{item.file}</Table.Td>
              <Table.Td>
                <Code title={item.sha256}>{shortHash(item.sha256)}</Code>
              </Table.Td>
              <Table.Td>
                {item.allowlisted ? (
                  <Badge c="var(--mantine-color-text)" color="gray" variant="light">
                    {t('rules.report.evidence.allowlisted')}
                  </Badge>
                ) : item.rules.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {t('rules.report.evidence.noRule')}
                  </Text>
                ) : (
                  item.rules.map((rule) => (
                    <Text size="sm" key={rule.rule}>
                      <Code>{rule.rule}</Code>{' '}
                      {rule.offsets.length > 0 &&
                        t('rules.report.evidence.offsets', {
                          offsets: rule.offsets
                            .slice(0, 8)
                            .map((o) => `0x${o.toString(16)}`)
                            .join(', '),
                        })}
                    </Text>
                  ))
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function ScanBudget({ figures }: { figures: Record<string, number> }) {
  const { t } = useTranslation();
  if (figures.budgetMs === undefined) {
    return figures.timeoutMs !== undefined ? (
      <Text size="sm">{t('rules.report.budget.timeout', { seconds: Math.round(figures.timeoutMs / 1000) })}</Text>
    ) : null;
  }
  const share = figures.budgetMs > 0 ? Math.min((figures.withMs / figures.budgetMs) * 100, 100) : 0;
  const over = figures.withMs > figures.budgetMs;
  return (
    <Stack gap={4}>
      <Progress
        value={share}
        color={over ? 'red' : share > 80 ? 'orange' : 'teal'}
        aria-label={t('rules.report.budget.label')}
      />
      <Text size="sm" data-testid="scan-budget">
        {t('rules.report.budget.figures', {
          with: figures.withMs,
          without: figures.withoutMs,
          budget: figures.budgetMs,
        })}
      </Text>
    </Stack>
  );
}

function Check({ result }: { result: CheckResult }) {
  const { t } = useTranslation();
  const label = CHECK_LABELS[result.check] ?? result.check;
  return (
    <Paper withBorder p="md" radius="md" component="li" data-testid={`check-${result.check}`}>
      <Group gap="sm" wrap="nowrap" align="flex-start">
        {result.passed ? (
          <IconCircleCheck size={22} aria-hidden color="var(--mantine-color-teal-7)" />
        ) : (
          <IconCircleX size={22} aria-hidden color="var(--mantine-color-red-7)" />
        )}
        <Stack gap={6} style={{ flex: 1, minWidth: 0 }}>
          <Group gap="xs">
            <Title order={4} size="h5">
              {t(label)}
            </Title>
            <Badge
              c="var(--mantine-color-text)"
              color={result.passed ? 'teal' : 'red'}
              variant="light"
              data-testid="check-result"
            >
              {result.passed ? t('rules.report.passed') : t('rules.report.failed')}
            </Badge>
          </Group>
          {result.check === 'scan_time_budget' && result.figures ? (
            <ScanBudget figures={result.figures} />
          ) : (
            // the API's own sentence, with its figures: in English
            <Text size="sm" lang="en">
              {result.summary}
            </Text>
          )}
          {result.diagnostics && result.diagnostics.length > 0 && (
            <List size="sm" spacing={2}>
              {result.diagnostics.map((d, i) => (
                <List.Item key={i}>
                  {d.line !== undefined
                    ? t('rules.diagnostics.at', { line: d.line, column: d.column ?? 1, message: d.message })
                    : d.message}
                </List.Item>
              ))}
            </List>
          )}
          {result.evidence && result.evidence.length > 0 && (
            <EvidenceTable
              evidence={result.evidence}
              caption={t('rules.report.evidence.caption', { check: t(label) })}
            />
          )}
        </Stack>
      </Group>
    </Paper>
  );
}

function DetectionDiff({ report }: { report: Report }) {
  const { t } = useTranslation();
  const verdict = (side: { detected: boolean; rules: string[] }) =>
    side.detected
      ? side.rules.length
        ? t('rules.report.diff.detectedBy', { rules: side.rules.join(', ') })
        : t('rules.report.diff.detected')
      : t('rules.report.diff.clean');
  return (
    <section aria-labelledby="diff-heading">
      <Title order={3} size="h4" id="diff-heading" mb="xs">
        {t('rules.report.diff.heading')}
      </Title>
      {report.diff.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('rules.report.diff.none')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table withTableBorder striped fz="sm" data-testid="detection-diff">
            <Table.Caption>
              {t('rules.report.diff.caption', {
                shown: report.diff.length,
                total: report.diffCount,
                version: report.parentVersion ?? t('rules.report.baseRuleset'),
              })}
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('rules.report.evidence.file')}</Table.Th>
                <Table.Th>{t('rules.report.diff.collection')}</Table.Th>
                <Table.Th>{t('rules.report.diff.before')}</Table.Th>
                <Table.Th>{t('rules.report.diff.after')}</Table.Th>
                <Table.Th>{t('rules.report.diff.intended')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.diff.map((entry) => (
                <Table.Tr key={`${entry.collection}-${entry.sha256}-${entry.file}`}>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>
                    {entry.file}
                    <br />
                    <Code title={entry.sha256}>{shortHash(entry.sha256)}</Code>
                  </Table.Td>
                  <Table.Td>{t(COLLECTION_LABELS[entry.collection])}</Table.Td>
                  <Table.Td>{verdict(entry.before)}</Table.Td>
                  <Table.Td>{verdict(entry.after)}</Table.Td>
                  <Table.Td>
                    <Badge c="var(--mantine-color-text)" color={entry.intended ? 'teal' : 'red'} variant="light">
                      {entry.intended ? t('rules.report.diff.yes') : t('rules.report.diff.no')}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}

/**
 * A change's validation: while it runs, where it is; then each check with its result and evidence (file, rule,
 * offsets), the scan-time budget against its limit, and the detection diff between the channel's newest version
 * and the candidate. The change page, the approvals inbox and a build's page (the same proof, for its changes) show it.
 */
export function ValidationReport({
  change,
  heading,
  of = 'change',
}: {
  change: Pick<SignatureChange, 'status' | 'progress' | 'report'>;
  /** the section's title: a build's page calls it its proof */
  heading?: string;
  /** whose proof it is: a change's validation (the default), or a build's */
  of?: 'change' | 'build';
}) {
  const { t } = useTranslation();
  const report = change.report;
  return (
    <Stack gap="md" component="section" aria-labelledby="report-heading">
      <Title order={2} size="h3" id="report-heading">
        {heading ?? t('rules.report.heading')}
      </Title>
      {change.status === 'validating' && <ValidationProgress progress={change.progress} />}
      {report && (
        <>
          <Alert
            color={report.passed ? 'teal' : 'red'}
            variant="light"
            icon={report.passed ? <IconCircleCheck aria-hidden /> : <IconCircleX aria-hidden />}
            title={
              report.passed
                ? t('rules.report.passedTitle')
                : of === 'build'
                  ? t('rules.report.buildFailedTitle')
                  : t('rules.report.failedTitle')
            }
            styles={{ title: { color: 'var(--mantine-color-text)' } }}
            data-testid="report-verdict"
          >
            {t('rules.report.against', {
              version: report.parentVersion ?? t('rules.report.baseRuleset'),
              rules: report.rules,
              seconds: (report.millis / 1000).toFixed(1),
            })}
          </Alert>
          <Stack
            gap="sm"
            component="ol"
            p={0}
            m={0}
            style={{ listStyle: 'none' }}
            aria-label={t('rules.report.checks')}
          >
            {report.checks.map((result, i) => (
              <Check key={`${result.check}-${i}`} result={result} />
            ))}
          </Stack>
          <DetectionDiff report={report} />
        </>
      )}
      {!report && change.status !== 'validating' && (
        <Text c="dimmed" size="sm">
          {t('rules.report.none')}
        </Text>
      )}
    </Stack>
  );
}
