import {
  Alert,
  Anchor,
  Autocomplete,
  Badge,
  Button,
  Grid,
  Group,
  Kbd,
  List,
  Loader,
  NativeSelect,
  Paper,
  Radio,
  Stack,
  Text,
  Textarea,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconSend } from '@tabler/icons-react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { fetchAnalystCase, reviewQueryKeys, type AnalystCase } from '../../api/review';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { checkRule, fetchRule, proposeChange, type Diagnostic, type NewChange } from '../../api/signature-changes';
import { PageLoader } from '../../components/PageLoader';
import { rulesCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { KIND_LABELS, STATUS_LABELS } from '../customer/case-labels';
import { ruleNameFor, ruleTemplate, withCaseMeta, withPattern } from './rules/rule-text';
import { RulesPageFrame } from './rules/RulesPageFrame';
import { SampleHelper } from './rules/SampleHelper';
import { YaraEditor, type CheckState, type YaraEditorHandle } from './rules/YaraEditor';

type Mode = 'add' | 'allowlist' | 'disable' | 'replace';

/** The rules the database matched on the case's samples at intake, and those a stored build would match. */
function matchedRules(found: AnalystCase): string[] {
  const rules = new Set<string>();
  for (const verdict of [...(found.triage?.samples ?? []), ...(found.triage?.scheduled?.samples ?? [])]) {
    for (const rule of verdict.rules) rules.add(rule);
  }
  return [...rules];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** The check, tried again after the API's Retry-After when it is busy (`503 checks_busy`), a few times. */
async function checkPatiently(input: Parameters<typeof checkRule>[0], signal: AbortSignal) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await checkRule(input, signal);
    } catch (error) {
      const busy = error instanceof ApiError && error.status === 503 && error.code === 'checks_busy';
      if (!busy || attempt >= 3 || signal.aborted) throw error;
      await sleep(Math.min(error.retryAfterSeconds ?? 1, 5) * 1000, signal);
    }
  }
}

function CheckStatus({ state }: { state: CheckState }) {
  const { t } = useTranslation();
  let content: React.ReactNode;
  switch (state.status) {
    case 'idle':
      content = <Text size="sm">{t('rules.editor.check.idle')}</Text>;
      break;
    case 'pending':
    case 'checking':
      content = (
        <Group gap={6}>
          <Loader size="xs" aria-hidden />
          <Text size="sm">{t('rules.editor.check.checking')}</Text>
        </Group>
      );
      break;
    case 'done': {
      const { answer } = state;
      const version = answer.checkedAgainst.databaseVersion ?? t('rules.report.baseRuleset');
      content = answer.ok ? (
        <Group gap={6}>
          <IconCircleCheck size={18} color="var(--mantine-color-teal-7)" aria-hidden />
          <Text size="sm">
            {answer.warnings.length
              ? t('rules.editor.check.okWithWarnings', { warnings: answer.warnings.length, version })
              : t('rules.editor.check.ok', { version })}
          </Text>
        </Group>
      ) : (
        <Group gap={6}>
          <IconAlertTriangle size={18} color="var(--mantine-color-red-7)" aria-hidden />
          <Text size="sm">
            {t('rules.editor.check.problems', {
              errors: answer.errors.length,
              warnings: answer.warnings.length,
            })}
          </Text>
        </Group>
      );
      break;
    }
    case 'failed': {
      const { key, values } = describeError(state.error);
      content = (
        <Alert color="orange" variant="light" p="xs" icon={<IconAlertTriangle aria-hidden />}>
          <Text size="sm">
            {t('rules.editor.check.failed')} {t(key, values)}
          </Text>
        </Alert>
      );
      break;
    }
  }
  return (
    <div role="status" aria-live="polite" data-testid="check-status">
      {content}
    </div>
  );
}

function DiagnosticList({ diagnostics, onGoTo }: { diagnostics: Diagnostic[]; onGoTo(d: Diagnostic): void }) {
  const { t } = useTranslation();
  if (diagnostics.length === 0) return null;
  return (
    <List
      spacing={4}
      size="sm"
      listStyleType="none"
      p={0}
      data-testid="diagnostics"
      aria-label={t('rules.diagnostics.label')}
    >
      {diagnostics.map((d, i) => (
        <List.Item key={`${d.code}-${d.line}-${d.column}-${i}`}>
          <Group gap={6} wrap="nowrap" align="flex-start">
            <Badge
              c="var(--mantine-color-text)"
              size="sm"
              color={d.severity === 'error' ? 'red' : 'yellow'}
              variant="light"
              miw={70}
            >
              {d.severity === 'error' ? t('rules.diagnostics.error') : t('rules.diagnostics.warning')}
            </Badge>
            <UnstyledButton onClick={() => onGoTo(d)} style={{ textAlign: 'start' }} data-testid="diagnostic">
              <Text size="sm" span>
                {d.line !== undefined
                  ? t('rules.diagnostics.at', { line: d.line, column: d.column ?? 1, message: d.message })
                  : d.message}
              </Text>
            </UnstyledButton>
          </Group>
        </List.Item>
      ))}
    </List>
  );
}

/** The rule being written, with its inline check, its status line and its diagnostics. */
function RuleSource({
  found,
  initialText,
  targetRule,
  editor,
  onSubmit,
}: {
  found: AnalystCase;
  initialText: string;
  targetRule?: string;
  editor: React.RefObject<YaraEditorHandle | null>;
  onSubmit(): void;
}) {
  const { t } = useTranslation();
  const [state, setState] = useState<CheckState>({ status: 'idle' });
  const check = useCallback(
    (rule: string, signal: AbortSignal) => checkPatiently({ caseId: found.id, rule, targetRule }, signal),
    [found.id, targetRule],
  );
  const diagnostics = state.status === 'done' ? [...state.answer.errors, ...state.answer.warnings] : [];
  return (
    <Stack gap="xs">
      <Text fw={600} id="rule-editor-label" component="h2" size="lg" m={0}>
        {t('rules.editor.ruleLabel')}
      </Text>
      <Text size="sm" c="dimmed" id="rule-editor-hint">
        {t('rules.editor.ruleHint')}
      </Text>
      <YaraEditor
        initialText={initialText}
        label={t('rules.editor.ruleLabel')}
        describedBy="rule-editor-hint"
        check={check}
        onCheck={setState}
        onSubmit={onSubmit}
        handleRef={editor}
      />
      <CheckStatus state={state} />
      <DiagnosticList diagnostics={diagnostics} onGoTo={(d) => editor.current?.goTo(d.line, d.column)} />
    </Stack>
  );
}

function ChangeForm({ found }: { found: AnalystCase }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const falseNegative = found.kind === 'false_negative';
  const matched = useMemo(() => matchedRules(found), [found]);
  const [mode, setMode] = useState<Mode>(falseNegative ? 'add' : 'allowlist');
  const [targetRule, setTargetRule] = useState(matched[0] ?? '');
  const [sha256, setSha256] = useState(found.samples[0]?.sha256 ?? '');
  const [reason, setReason] = useState('');
  const editor = useRef<YaraEditorHandle | null>(null);
  const template = useMemo(
    () =>
      ruleTemplate({
        reference: found.reference,
        name: ruleNameFor(found.reference, 'Sigdesk'),
        description: found.detectionName ?? '',
      }),
    [found],
  );
  const withEditor = mode === 'add' || mode === 'replace';
  const validTarget = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(targetRule);

  const replaced = useQuery({
    queryKey: ['signature-rules', found.database.channel, targetRule],
    queryFn: () => fetchRule(targetRule, found.database.channel),
    enabled: mode === 'replace' && validTarget,
    retry: false,
  });

  const propose = useMutation({
    mutationFn: () => {
      const why = reason.trim() ? { reason: reason.trim() } : {};
      // the editor holds the rule as it is now (a replacement's starts as the database's rule, never typed into)
      const rule = editor.current?.text() ?? '';
      const change: NewChange =
        mode === 'add'
          ? { type: 'add_detection', rule }
          : mode === 'allowlist'
            ? { type: 'suppress_detection', sha256, ...why }
            : mode === 'disable'
              ? { type: 'suppress_detection', targetRule, ...why }
              : { type: 'suppress_detection', targetRule, rule, ...why };
      return proposeChange(found.id, change);
    },
    onSuccess: (change) => navigate(`/changes/${change.id}`),
  });

  const ready =
    mode === 'add'
      ? true
      : mode === 'allowlist'
        ? Boolean(sha256)
        : mode === 'disable'
          ? validTarget
          : validTarget && replaced.isSuccess;
  const submit = useCallback(() => {
    if (!ready || propose.isPending) return;
    propose.mutate();
  }, [ready, propose]);

  // Ctrl/Cmd+Enter anywhere on the page; the editor handles its own (and marks the event handled)
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
      event.preventDefault();
      submit();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [submit]);

  const insert = (prefix: 's' | 'h', pattern: string) => {
    if (!editor.current) return;
    const next = withPattern(editor.current.text(), prefix, pattern);
    editor.current.replace(next.text, next.cursor);
  };

  const error = propose.error && describeError(propose.error);
  const refusedDiagnostics =
    propose.error instanceof ApiError && Array.isArray(propose.error.details.diagnostics)
      ? (propose.error.details.diagnostics as Diagnostic[])
      : [];

  const form = (
    <Stack gap="md">
      {!falseNegative && (
        <Paper withBorder p="md" radius="md">
          <Radio.Group
            label={t('rules.editor.suppress.label')}
            description={t('rules.editor.suppress.hint')}
            value={mode}
            onChange={(value) => setMode(value as Mode)}
          >
            <Stack gap="xs" mt="xs">
              <Radio value="allowlist" label={t('rules.editor.suppress.allowlist')} />
              <Radio value="disable" label={t('rules.editor.suppress.disable')} />
              <Radio value="replace" label={t('rules.editor.suppress.replace')} />
            </Stack>
          </Radio.Group>
          <Stack gap="sm" mt="md">
            {mode === 'allowlist' ? (
              <NativeSelect
                label={t('rules.editor.suppress.sample')}
                value={sha256}
                onChange={(event) => setSha256(event.currentTarget.value)}
                data={found.samples.map((s) => ({
                  value: s.sha256,
                  label: `${s.archivePath ?? s.fileName} · ${s.sha256}`,
                }))}
              />
            ) : (
              <Autocomplete
                label={t('rules.editor.suppress.rule')}
                description={
                  matched.length
                    ? t('rules.editor.suppress.matched', { rules: matched.join(', ') })
                    : t('rules.editor.suppress.noneMatched')
                }
                value={targetRule}
                onChange={setTargetRule}
                data={matched}
                error={targetRule && !validTarget ? t('rules.editor.suppress.ruleInvalid') : undefined}
              />
            )}
            <Textarea
              label={t('rules.editor.reason')}
              value={reason}
              onChange={(event) => setReason(event.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={2_000}
            />
          </Stack>
        </Paper>
      )}
      {mode === 'add' && <RuleSource found={found} initialText={template} editor={editor} onSubmit={submit} />}
      {mode === 'replace' &&
        validTarget &&
        (replaced.isPending ? (
          <PageLoader />
        ) : replaced.isError ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
            {replaced.error instanceof ApiError && replaced.error.status === 404
              ? t('rules.editor.suppress.ruleMissing', { rule: targetRule, channel: found.database.channel })
              : t(describeError(replaced.error).key, describeError(replaced.error).values)}
          </Alert>
        ) : (
          <RuleSource
            key={targetRule}
            found={found}
            initialText={withCaseMeta(replaced.data.source, found.reference)}
            targetRule={targetRule}
            editor={editor}
            onSubmit={submit}
          />
        ))}
      {error && (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle aria-hidden />}
          role="alert"
          title={t('rules.editor.refused')}
        >
          {t(error.key, error.values)}
          {refusedDiagnostics.length > 0 && (
            <List size="sm" mt="xs">
              {refusedDiagnostics.map((d, i) => (
                <List.Item key={i}>
                  {d.line !== undefined
                    ? t('rules.diagnostics.at', { line: d.line, column: d.column ?? 1, message: d.message })
                    : d.message}
                </List.Item>
              ))}
            </List>
          )}
        </Alert>
      )}
      <Group>
        <Button
          leftSection={<IconSend size={18} aria-hidden />}
          onClick={submit}
          loading={propose.isPending}
          disabled={!ready}
          aria-keyshortcuts="Control+Enter Meta+Enter"
        >
          {t('rules.editor.submit')}
        </Button>
        {withEditor && (
          <Text size="sm" c="dimmed">
            <Kbd>Ctrl</Kbd> + <Kbd>Enter</Kbd> {t('rules.editor.submitHint')}
          </Text>
        )}
      </Group>
    </Stack>
  );

  if (!falseNegative) return form;
  return (
    <Grid gap="lg">
      <Grid.Col span={{ base: 12, lg: 7 }}>{form}</Grid.Col>
      <Grid.Col span={{ base: 12, lg: 5 }}>
        <SampleHelper caseId={found.id} samples={found.samples} onInsert={insert} />
      </Grid.Col>
    </Grid>
  );
}

/**
 * `/review/:caseId/change`: a signature change for a case. For a false negative, a YARA rule written in the editor
 * (checked as the analyst types) with the sample's strings and bytes beside it; for a false positive, an allow-list
 * entry for the sample, or the rule that matched disabled or replaced. Submitting proposes it and opens its page,
 * where the validation runs.
 */
export function RuleEditorPage() {
  usePageCatalog(rulesCatalog);
  const { t } = useTranslation();
  const { caseId = '' } = useParams();
  const found = useQuery({
    queryKey: reviewQueryKeys.case(caseId),
    queryFn: () => fetchAnalystCase(caseId),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
  if (found.isPending) return <PageLoader />;
  if (found.isError) {
    const missing = found.error instanceof ApiError && [400, 404].includes(found.error.status);
    const { key, values } = describeError(found.error);
    return (
      <RulesPageFrame title={t('rules.editor.notFoundTitle')}>
        <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {missing ? t('rules.editor.notFound') : t(key, values)}
        </Alert>
      </RulesPageFrame>
    );
  }
  const value = found.data;
  return (
    <RulesPageFrame
      title={t('rules.editor.title', { reference: value.reference })}
      description={
        <>
          {t(KIND_LABELS[value.kind])} · {t(STATUS_LABELS[value.status])} ·{' '}
          <Anchor component={Link} to={`/review/${value.id}`} underline="always">
            {t('rules.editor.backToCase')}
          </Anchor>
        </>
      }
      width={1400}
    >
      {value.status !== 'confirmed' && (
        <Alert color="orange" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {t('rules.editor.notConfirmed', { status: t(STATUS_LABELS[value.status]) })}
        </Alert>
      )}
      {value.description && (
        <Paper withBorder p="md" radius="md">
          <Title order={2} size="h5" mb={4}>
            {t('rules.editor.report')}
          </Title>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {value.description}
          </Text>
        </Paper>
      )}
      <ChangeForm found={value} />
    </RulesPageFrame>
  );
}
