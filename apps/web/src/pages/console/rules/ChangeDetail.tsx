import { Anchor, Badge, Box, Code, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { SignatureChange, SignatureChangeDetail } from '../../../api/signature-changes';
import { formatDateTime } from '../../../i18n/format';
import { KIND_LABELS } from '../../customer/case-labels';
import { CHANGE_STATUS_COLORS, CHANGE_STATUS_LABELS } from './change-labels';
import { lineDiff } from './rule-text';
import classes from './ChangeDetail.module.css';

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="sm" c="dimmed" component="dt">
        {label}
      </Text>
      <Text component="dd" m={0} style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

/** What a change does, in one line: the rule it adds, the rule it disables or replaces, the file it allow-lists. */
export function useChangeSummary() {
  const { t } = useTranslation();
  return (
    change: Pick<SignatureChange, 'type' | 'ruleName' | 'rule' | 'targetRule' | 'sha256'> & {
      packName?: string | null;
      rulePack?: { packName: string } | null;
    },
  ) => {
    if (change.type === 'import_rules') {
      return t('rules.summary.import', { pack: change.packName ?? change.rulePack?.packName ?? '' });
    }
    if (change.type === 'add_detection') return t('rules.summary.add', { rule: change.ruleName ?? '' });
    if (change.sha256) return t('rules.summary.allowlist', { sha256: `${change.sha256.slice(0, 12)}…` });
    if (change.rule) return t('rules.summary.replace', { rule: change.targetRule ?? '' });
    return t('rules.summary.disable', { rule: change.targetRule ?? '' });
  };
}

/** The rule as written, or its line diff against the rule it replaces (a disable shows the whole rule removed). */
export function RuleView({ change }: { change: SignatureChangeDetail }) {
  const { t } = useTranslation();
  const replaced = change.replacedRule;
  if (!change.rule && !replaced) return null;
  const lines = replaced ? lineDiff(replaced.source, change.rule ?? '') : null;
  return (
    <Stack gap="xs" component="section" aria-labelledby="rule-heading">
      <Title order={2} size="h3" id="rule-heading">
        {replaced
          ? change.rule
            ? t('rules.rule.diffHeading', { rule: replaced.name })
            : t('rules.rule.disabledHeading', { rule: replaced.name })
          : t('rules.rule.heading')}
      </Title>
      {replaced && (
        <Text size="sm" c="dimmed">
          {t('rules.rule.diffLegend', { version: replaced.databaseVersion ?? t('rules.report.baseRuleset') })}
        </Text>
      )}
      <Box
        component="pre"
        className={classes.code}
        data-testid={lines ? 'rule-diff' : 'rule-source'}
        // a long line scrolls: the keyboard reaches it too
        tabIndex={0}
        aria-labelledby="rule-heading"
      >
        {lines
          ? lines.map((line, i) => (
              <div key={i} className={classes[line.kind]} data-kind={line.kind}>
                <span className={classes.sign} aria-hidden>
                  {line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' '}
                </span>
                {line.kind !== 'same' && (
                  <span className={classes.visuallyHidden}>
                    {line.kind === 'added' ? t('rules.rule.added') : t('rules.rule.removed')}
                  </span>
                )}
                {line.text || ' '}
              </div>
            ))
          : change.rule?.split('\n').map((line, i) => <div key={i}>{line || ' '}</div>)}
      </Box>
    </Stack>
  );
}

/** A change's facts, its rule (or diff) and its validation report: the change page and the inbox show it. */
export function ChangeFacts({ change }: { change: SignatureChangeDetail }) {
  const { t, i18n } = useTranslation();
  const summary = useChangeSummary();
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" align="flex-start" mb="sm">
        <Text fw={600} data-testid="change-summary">
          {summary(change)}
        </Text>
        <Badge
          c="var(--mantine-color-text)"
          color={CHANGE_STATUS_COLORS[change.status]}
          variant="light"
          size="lg"
          data-testid="change-status"
        >
          {t(CHANGE_STATUS_LABELS[change.status])}
        </Badge>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} component="dl" m={0} spacing="sm">
        {change.rulePack ? (
          <Fact label={t('rules.facts.rulePack')}>{change.rulePack.packName}</Fact>
        ) : (
          <Fact label={t('rules.facts.case')}>
            {change.case ? (
              <Anchor component={Link} to={`/review/${change.case.id}`} underline="always" data-testid="case-link">
                {change.case.reference}
              </Anchor>
            ) : (
              change.caseId
            )}
            {change.case && ` · ${t(KIND_LABELS[change.case.kind])}`}
          </Fact>
        )}
        <Fact label={t('rules.facts.author')}>{change.authorName ?? change.author}</Fact>
        <Fact label={t('rules.facts.created')}>{formatDateTime(change.createdAt, i18n.language)}</Fact>
        <Fact label={t('rules.facts.channel')}>{change.channel}</Fact>
        {change.sha256 && (
          <Fact label={t('rules.facts.allowlisted')}>
            <Code>{change.sha256}</Code>
          </Fact>
        )}
        {change.reason && <Fact label={t('rules.facts.reason')}>{change.reason}</Fact>}
        {change.approvedAt && (
          <Fact label={t('rules.facts.approved')}>
            {t('rules.facts.approvedBy', {
              name: change.approvedByName ?? change.approvedBy ?? '',
              date: formatDateTime(change.approvedAt, i18n.language),
            })}
          </Fact>
        )}
        {change.decisionNote && <Fact label={t('rules.facts.note')}>{change.decisionNote}</Fact>}
      </SimpleGrid>
    </Paper>
  );
}
