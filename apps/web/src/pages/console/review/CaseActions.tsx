import { Alert, Button, Checkbox, Group, Paper, Select, Stack, Text, Textarea, Title } from '@mantine/core';
import { IconCircleCheck, IconPencil } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { describeError } from '../../../api/errors';
import { giveVerdict, respond, reviewQueryKeys, type AnalystCase, type Verdict } from '../../../api/review';
import { translationKey, type TranslationKey } from '../../../i18n';

export const VERDICT_LABELS: Record<Verdict, TranslationKey> = {
  confirmed: translationKey('reviewCase.verdicts.confirmed'),
  not_reproduced: translationKey('reviewCase.verdicts.not_reproduced'),
  declined: translationKey('reviewCase.verdicts.declined'),
};

/** The words of the two messages to the customer: the question, and the qualified response. */
const MESSAGE_WORDS = {
  ask: {
    title: translationKey('reviewCase.actions.ask'),
    hint: translationKey('reviewCase.actions.askHint'),
    send: translationKey('reviewCase.actions.askSend'),
    effect: translationKey('reviewCase.actions.askEffect'),
    effectAnswered: translationKey('reviewCase.actions.askEffectAnswered'),
    done: translationKey('reviewCase.actions.done.ask'),
  },
  respond: {
    title: translationKey('reviewCase.actions.respond'),
    hint: translationKey('reviewCase.actions.respondHint'),
    send: translationKey('reviewCase.actions.respondSend'),
    effect: translationKey('reviewCase.actions.respondEffect'),
    effectAnswered: translationKey('reviewCase.actions.respondEffectAnswered'),
    done: translationKey('reviewCase.actions.done.respond'),
  },
} as const;

/** The fields the case page's shortcuts go to. */
export interface ActionFields {
  ask: Ref<HTMLTextAreaElement>;
  respond: Ref<HTMLTextAreaElement>;
  verdict: Ref<HTMLInputElement>;
}

function Effect({ id, children }: { id: string; children: string }) {
  return (
    <Text size="sm" c="dimmed" id={id} data-testid={id}>
      {children}
    </Text>
  );
}

function useCaseUpdate(found: AnalystCase) {
  const queryClient = useQueryClient();
  return async (updated: AnalystCase) => {
    queryClient.setQueryData(reviewQueryKeys.case(found.id), updated);
    await queryClient.invalidateQueries({ queryKey: reviewQueryKeys.queue });
  };
}

/** A message to the customer: the question (awaitCustomer) or the qualified response. */
function MessageForm({
  found,
  awaitCustomer,
  field,
}: {
  found: AnalystCase;
  awaitCustomer: boolean;
  field: Ref<HTMLTextAreaElement>;
}) {
  const { t } = useTranslation();
  const updated = useCaseUpdate(found);
  const [message, setMessage] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const send = useMutation({
    mutationFn: () => respond(found.id, { message: message.trim(), awaitCustomer }),
    onSuccess: async (result) => {
      setMessage('');
      setShowErrors(false);
      await updated(result);
    },
  });
  const answered = found.firstResponseAt !== null;
  const which = awaitCustomer ? 'ask' : 'respond';
  const words = MESSAGE_WORDS[which];
  const effect = t(answered ? words.effectAnswered : words.effect);
  const failure = send.error ? describeError(send.error) : undefined;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (message.trim() && !send.isPending) send.mutate();
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-label={t(words.title)}>
      <Stack gap="xs">
        <Textarea
          ref={field}
          label={t(words.title)}
          description={t(words.hint)}
          value={message}
          onChange={(event) => setMessage(event.currentTarget.value)}
          error={showErrors && !message.trim() ? t('reviewCase.actions.messageRequired') : undefined}
          autosize
          minRows={3}
          maxLength={20000}
        />
        <Group gap="sm" wrap="nowrap" align="center">
          <Button type="submit" loading={send.isPending} aria-describedby={`${which}-effect`} style={{ flexShrink: 0 }}>
            {t(words.send)}
          </Button>
          <Effect id={`${which}-effect`}>{effect}</Effect>
        </Group>
        {send.isSuccess && (
          <Text size="sm" role="status" c="green.9">
            {t(words.done)}
          </Text>
        )}
        {failure && (
          <Alert color="red" role="alert">
            {t(failure.key, failure.values)}
          </Alert>
        )}
      </Stack>
    </form>
  );
}

type VerdictResult = Awaited<ReturnType<typeof giveVerdict>>;

function VerdictForm({
  found,
  field,
  onGiven,
}: {
  found: AnalystCase;
  field: Ref<HTMLInputElement>;
  onGiven: (result: VerdictResult) => void;
}) {
  const { t } = useTranslation();
  const updated = useCaseUpdate(found);
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [note, setNote] = useState('');
  const [applyToGroup, setApplyToGroup] = useState(false);
  const [showErrors, setShowErrors] = useState(false);
  const openOthers = found.group.cases.filter(
    (c) => c.id !== found.id && (c.status === 'queued' || c.status === 'in_review'),
  ).length;
  const give = useMutation({
    mutationFn: () => giveVerdict(found.id, { verdict: verdict!, note: note.trim(), applyToGroup }),
    onSuccess: async (result) => {
      onGiven(result);
      await updated(result);
    },
  });
  const failure = give.error ? describeError(give.error) : undefined;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (verdict && note.trim() && !give.isPending) give.mutate();
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('reviewCase.actions.verdict')}>
      <Stack gap="xs">
        <Select
          ref={field}
          label={t('reviewCase.actions.verdictChoice')}
          data={(Object.keys(VERDICT_LABELS) as Verdict[]).map((value) => ({ value, label: t(VERDICT_LABELS[value]) }))}
          value={verdict}
          onChange={(value) => setVerdict(value as Verdict | null)}
          error={showErrors && !verdict ? t('reviewCase.actions.verdictRequired') : undefined}
          allowDeselect={false}
          maw={420}
        />
        <Textarea
          label={t('reviewCase.actions.verdictNote')}
          description={t('reviewCase.actions.verdictNoteHint')}
          value={note}
          onChange={(event) => setNote(event.currentTarget.value)}
          error={showErrors && !note.trim() ? t('reviewCase.actions.noteRequired') : undefined}
          autosize
          minRows={2}
          maxLength={20000}
        />
        {openOthers > 0 && (
          <Checkbox
            label={t('reviewCase.actions.applyToGroup', { count: openOthers })}
            checked={applyToGroup}
            onChange={(event) => setApplyToGroup(event.currentTarget.checked)}
          />
        )}
        <Group gap="sm" wrap="nowrap" align="center">
          <Button type="submit" loading={give.isPending} aria-describedby="verdict-effect" style={{ flexShrink: 0 }}>
            {t('reviewCase.actions.verdictSend')}
          </Button>
          <Effect id="verdict-effect">{t('reviewCase.actions.verdictEffect')}</Effect>
        </Group>
        {failure && (
          <Alert color="red" role="alert">
            {t(failure.key, failure.values)}
          </Alert>
        )}
      </Stack>
    </form>
  );
}

/**
 * What the analyst holding the case can do, each with its effect on the response clock said before it is taken:
 * ask the customer, give the qualified response, give the verdict; and write the signature change.
 */
export function CaseActions({ found, mine, fields }: { found: AnalystCase; mine: boolean; fields: ActionFields }) {
  const { t } = useTranslation();
  // the answer of the verdict: the form goes once the case leaves review, what it did stays said
  const [given, setGiven] = useState<VerdictResult | null>(null);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="actions-heading">
      <Stack gap="lg">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id="actions-heading">
            {t('reviewCase.actions.heading')}
          </Title>
          <Button
            component={Link}
            to={`/review/${found.id}/change`}
            variant="default"
            leftSection={<IconPencil size={18} aria-hidden />}
          >
            {t('reviewCase.actions.writeChange')}
          </Button>
        </Group>
        {found.verdict && (
          <Alert color="green" variant="light" icon={<IconCircleCheck aria-hidden />} data-testid="verdict">
            {t(VERDICT_LABELS[found.verdict.verdict as Verdict] ?? VERDICT_LABELS.declined)}
            {found.verdict.note ? ` — ${found.verdict.note}` : ''}
            {given && given.id === found.id && (
              <Text size="sm" role="status" mt={4}>
                {given.appliedTo.length > 1
                  ? t('reviewCase.actions.done.verdictGroup', { cases: given.appliedTo.join(', ') })
                  : t('reviewCase.actions.done.verdict')}
                {given.skipped.length > 0 &&
                  ` ${t('reviewCase.actions.done.skipped', { cases: given.skipped.map((s) => s.reference).join(', ') })}`}
              </Text>
            )}
          </Alert>
        )}
        {mine && found.status === 'in_review' ? (
          <>
            <MessageForm found={found} awaitCustomer field={fields.ask} />
            <MessageForm found={found} awaitCustomer={false} field={fields.respond} />
            <VerdictForm found={found} field={fields.verdict} onGiven={setGiven} />
          </>
        ) : found.status === 'awaiting_customer' ? (
          <Text role="status" data-testid="waiting">
            {t('reviewCase.actions.waiting')}
          </Text>
        ) : (
          !found.verdict && <Text c="dimmed">{t('reviewCase.actions.claimFirst')}</Text>
        )}
      </Stack>
    </Paper>
  );
}
