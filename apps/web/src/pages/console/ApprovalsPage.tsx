import {
  Alert,
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  Paper,
  Stack,
  Text,
  Textarea,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconHourglass, IconX } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { describeError } from '../../api/errors';
import {
  approveChange,
  awaitingApprovalQueryKey,
  changeQueryKey,
  fetchAwaitingApproval,
  fetchChange,
  rejectChange,
  type AwaitingChange,
  type SignatureChangeDetail,
} from '../../api/signature-changes';
import { PageLoader } from '../../components/PageLoader';
import { useSession } from '../../hooks/session';
import { translationKey } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { rulesCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { useShortcuts } from '../../shortcuts/ShortcutsProvider';
import { ChangeFacts, RuleView, useChangeSummary } from './rules/ChangeDetail';
import { RulesPageFrame } from './rules/RulesPageFrame';
import { ValidationReport } from './rules/ValidationReport';
import classes from './rules/ApprovalsPage.module.css';

/** Live updates refresh the inbox when a change is validated or decided; this covers a stream that is held back. */
const REFRESH_MS = 30_000;

function InboxItem({ change, selected, onSelect }: { change: AwaitingChange; selected: boolean; onSelect(): void }) {
  const { t, i18n } = useTranslation();
  const summary = useChangeSummary();
  return (
    <li>
      <UnstyledButton
        className={classes.item}
        data-selected={selected || undefined}
        aria-current={selected ? 'true' : undefined}
        onClick={onSelect}
        data-testid="inbox-item"
        data-change-id={change.id}
      >
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
            {summary(change)}
          </Text>
          {change.case?.tier === 'msa_start' && (
            <Badge c="var(--mantine-color-text)" size="sm" color="grape" variant="light" style={{ flexShrink: 0 }}>
              {t('rules.approvals.msaStart')}
            </Badge>
          )}
        </Group>
        <Text size="sm">
          {change.case
            ? `${change.case.reference} · ${t('rules.approvals.severity', { severity: change.case.severity })}`
            : t('rules.approvals.rulePack', { pack: change.packName ?? '' })}
        </Text>
        <Text size="xs" c="dimmed">
          {change.yours
            ? t('rules.approvals.yoursShort')
            : t('rules.approvals.by', { name: change.authorName ?? change.author })}
          {change.validatedAt &&
            ` · ${t('rules.approvals.validatedAt', { date: formatDateTime(change.validatedAt, i18n.language) })}`}
        </Text>
      </UnstyledButton>
    </li>
  );
}

function Decision({ change, onDecided }: { change: SignatureChangeDetail; onDecided(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const [noteMissing, setNoteMissing] = useState(false);
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'reject') =>
      decision === 'approve' ? approveChange(change.id, note.trim()) : rejectChange(change.id, note.trim()),
    onSuccess: async () => {
      setNote('');
      await queryClient.invalidateQueries({ queryKey: ['signature-changes'] });
      onDecided();
    },
  });
  const reject = () => {
    if (!note.trim()) {
      setNoteMissing(true);
      return;
    }
    decide.mutate('reject');
  };
  const error = decide.error && describeError(decide.error);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="decision-heading">
      <Title order={2} size="h3" id="decision-heading" mb="sm">
        {t('rules.approvals.decisionHeading')}
      </Title>
      <Stack gap="sm">
        <Textarea
          label={t('rules.approvals.note')}
          description={t('rules.approvals.noteHint')}
          value={note}
          onChange={(event) => {
            setNote(event.currentTarget.value);
            setNoteMissing(false);
          }}
          error={noteMissing ? t('rules.approvals.noteRequired') : undefined}
          autosize
          minRows={2}
          maxLength={20_000}
        />
        {error && (
          <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />} role="alert">
            {t(error.key, error.values)}
          </Alert>
        )}
        <Group>
          <Button
            leftSection={<IconCheck size={18} aria-hidden />}
            loading={decide.isPending && decide.variables === 'approve'}
            disabled={decide.isPending}
            onClick={() => decide.mutate('approve')}
          >
            {t('rules.approvals.approve')}
          </Button>
          <Button
            variant="default"
            leftSection={<IconX size={18} aria-hidden color="var(--mantine-color-red-7)" />}
            loading={decide.isPending && decide.variables === 'reject'}
            disabled={decide.isPending}
            onClick={reject}
          >
            {t('rules.approvals.reject')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

function SelectedChange({ id, onDecided }: { id: string; onDecided(): void }) {
  const { t } = useTranslation();
  const change = useQuery({ queryKey: changeQueryKey(id), queryFn: () => fetchChange(id) });
  if (change.isPending) return <PageLoader />;
  if (change.isError) {
    const { key, values } = describeError(change.error);
    return (
      <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
        {t(key, values)}
      </Alert>
    );
  }
  const found = change.data;
  return (
    <Stack gap="md" data-testid="selected-change">
      <Group justify="space-between">
        <Title order={2} size="h3">
          {found.case || !found.rulePack
            ? t('rules.approvals.selectedHeading', { reference: found.case?.reference ?? '' })
            : t('rules.approvals.selectedPackHeading', { pack: found.rulePack.packName })}
        </Title>
        <Anchor component={Link} to={`/changes/${found.id}`}>
          {t('rules.approvals.openChange')}
        </Anchor>
      </Group>
      <ChangeFacts change={found} />
      {found.status !== 'validated' ? (
        <Alert variant="light" color="gray">
          {t('rules.approvals.decided')}
        </Alert>
      ) : (
        <DecisionOrWait change={found} onDecided={onDecided} />
      )}
      <RuleView change={found} />
      <ValidationReport change={found} />
    </Stack>
  );
}

function DecisionOrWait({ change, onDecided }: { change: SignatureChangeDetail; onDecided(): void }) {
  const { t } = useTranslation();
  const { data: session } = useSession();
  if (!session) return null;
  if (session.user.id === change.author) {
    return (
      <Alert
        variant="light"
        color="blue"
        icon={<IconHourglass aria-hidden />}
        title={t('rules.approvals.waitingForOther')}
        styles={{ title: { color: 'var(--mantine-color-text)' } }}
        data-testid="waiting-for-other"
      >
        {t('rules.approvals.waitingForOtherDetail')}
      </Alert>
    );
  }
  return <Decision change={change} onDecided={onDecided} />;
}

/**
 * `/approvals`: the changes whose validation passed, waiting for a second analyst, the longest waiting first. One's
 * own are listed as waiting for another analyst, without the buttons (the API refuses self-approval anyway).
 */
export function ApprovalsPage() {
  usePageCatalog(rulesCatalog);
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const inbox = useQuery({
    queryKey: awaitingApprovalQueryKey,
    queryFn: () => fetchAwaitingApproval(),
    refetchInterval: REFRESH_MS,
  });
  const items = useMemo(() => inbox.data?.items ?? [], [inbox.data]);
  const asked = params.get('change');
  const selectedId = asked ?? items[0]?.id ?? null;
  const select = (id: string | undefined) => {
    if (id) setParams({ change: id }, { replace: true });
  };
  const position = items.findIndex((item) => item.id === selectedId);

  useShortcuts(
    useMemo(
      () => [
        {
          keys: 'j',
          description: translationKey('rules.approvals.shortcutNext'),
          run: () => select(items[Math.min(position + 1, items.length - 1)]?.id),
        },
        {
          keys: 'k',
          description: translationKey('rules.approvals.shortcutPrevious'),
          run: () => select(items[Math.max(position - 1, 0)]?.id),
        },
      ],
      // eslint-disable-next-line react-hooks/exhaustive-deps
      [items, position],
    ),
  );

  return (
    <RulesPageFrame title={t('rules.approvals.title')} description={t('rules.approvals.description')} width={1400}>
      {inbox.isPending ? (
        <PageLoader />
      ) : inbox.isError ? (
        <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {(() => {
            const { key, values } = describeError(inbox.error);
            return t(key, values);
          })()}
        </Alert>
      ) : (
        <Grid gap="lg">
          <Grid.Col span={{ base: 12, md: 4 }}>
            <Stack gap="xs" component="section" aria-labelledby="inbox-heading">
              <Title order={2} size="h4" id="inbox-heading">
                {t('rules.approvals.inboxHeading', { total: items.length })}
              </Title>
              {items.length === 0 ? (
                <Text c="dimmed" data-testid="inbox-empty">
                  {t('rules.approvals.empty')}
                </Text>
              ) : (
                <Stack component="ul" gap="xs" p={0} m={0} style={{ listStyle: 'none' }}>
                  {items.map((item) => (
                    <InboxItem
                      key={item.id}
                      change={item}
                      selected={item.id === selectedId}
                      onSelect={() => select(item.id)}
                    />
                  ))}
                </Stack>
              )}
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 8 }}>
            {selectedId ? (
              <SelectedChange
                key={selectedId}
                id={selectedId}
                onDecided={() => {
                  const next = items.find((item) => item.id !== selectedId);
                  if (next) select(next.id);
                  else setParams({}, { replace: true });
                }}
              />
            ) : null}
          </Grid.Col>
        </Grid>
      )}
    </RulesPageFrame>
  );
}
