import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy, IconKey, IconSend, IconTrash } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import {
  createWebhook,
  deleteWebhook,
  fetchWebhookDeliveries,
  fetchWebhooks,
  sendWebhookTest,
  webhooksQueryKey,
  type CreatedWebhook,
  type Webhook,
  type WebhookDelivery,
} from '../../api/portal';
import { translationKey, type TranslationKey } from '../../i18n';
import { formatDateTime } from '../../i18n/format';
import { settingsCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { ApiKeys } from './ApiKeys';
import { CustomerPage } from './CustomerPage';
import { readableColor, BODY_TEXT } from '../../theme';

const RESULT_LABELS: Record<NonNullable<WebhookDelivery['lastResult']>, TranslationKey> = {
  delivered: translationKey('settings.webhooks.result.delivered'),
  receiver_error: translationKey('settings.webhooks.result.receiver_error'),
  unreachable: translationKey('settings.webhooks.result.unreachable'),
  refused_destination: translationKey('settings.webhooks.result.refused_destination'),
  webhook_disabled: translationKey('settings.webhooks.result.webhook_disabled'),
};

/** The same rule as the API's: https anywhere (plain http only to loopback, which the API checks). */
function urlProblem(value: string): 'required' | 'invalid' | undefined {
  if (!value) return 'required';
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? undefined : 'invalid';
  } catch {
    return 'invalid';
  }
}

function NewSecret({ created, onDone }: { created: CreatedWebhook; onDone(): void }) {
  const { t } = useTranslation();
  return (
    <Alert
      color="green"
      icon={<IconKey aria-hidden />}
      title={t('settings.webhooks.secret.title')}
      styles={{ title: { color: 'var(--mantine-color-text)' } }}
      role="status"
      data-testid="webhook-secret"
    >
      <Stack gap="sm" align="flex-start">
        <Text size="sm">{t('settings.webhooks.secret.intro', { url: created.url })}</Text>
        <Code block style={{ wordBreak: 'break-all', width: '100%' }} data-testid="webhook-secret-value">
          {created.secret}
        </Code>
        <Group>
          <CopyButton value={created.secret}>
            {({ copied, copy }) => (
              <Button
                variant="filled"
                leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
                onClick={copy}
              >
                {copied ? t('settings.webhooks.secret.copied') : t('settings.webhooks.secret.copy')}
              </Button>
            )}
          </CopyButton>
          <Button variant="default" onClick={onDone}>
            {t('settings.webhooks.secret.done')}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const { t, i18n } = useTranslation();
  const deliveries = useInfiniteQuery({
    queryKey: [...webhooksQueryKey, webhook.id, 'deliveries'],
    queryFn: ({ pageParam }) => fetchWebhookDeliveries(webhook.id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: 15_000,
  });
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = deliveries.error ? describeError(deliveries.error) : undefined;
  return (
    <Stack gap="xs">
      {failure && (
        <Text c={readableColor('red')} role="alert">
          {t(failure.key, failure.values)}
        </Text>
      )}
      <div style={{ overflowX: 'auto' }}>
        <Table verticalSpacing="xs" miw={640}>
          <Table.Caption>{t('settings.webhooks.deliveries.caption', { url: webhook.url })}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('settings.webhooks.deliveries.time')}</Table.Th>
              <Table.Th scope="col">{t('settings.webhooks.deliveries.event')}</Table.Th>
              <Table.Th scope="col">{t('settings.webhooks.deliveries.result')}</Table.Th>
              <Table.Th scope="col">{t('settings.webhooks.deliveries.statusCode')}</Table.Th>
              <Table.Th scope="col">{t('settings.webhooks.deliveries.attempts')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((delivery) => (
              <Table.Tr key={delivery.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {formatDateTime(delivery.lastAttemptAt ?? delivery.createdAt, i18n.language)}
                </Table.Td>
                <Table.Td>
                  <Code>{delivery.eventType}</Code>
                </Table.Td>
                <Table.Td>
                  <Badge
                    c={BODY_TEXT}
                    variant="light"
                    color={delivery.status === 'delivered' ? 'green' : delivery.status === 'failed' ? 'red' : 'yellow'}
                    style={{ minWidth: 'max-content' }}
                  >
                    {delivery.lastResult
                      ? t(RESULT_LABELS[delivery.lastResult])
                      : t('settings.webhooks.result.pending')}
                  </Badge>
                </Table.Td>
                <Table.Td>{delivery.lastStatusCode ?? '—'}</Table.Td>
                <Table.Td>{delivery.attempts}</Table.Td>
              </Table.Tr>
            ))}
            {deliveries.isSuccess && items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>
                  <Text c="dimmed" size="sm">
                    {t('settings.webhooks.deliveries.empty')}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </div>
      {deliveries.hasNextPage && (
        <Group>
          <Button
            variant="default"
            size="xs"
            onClick={() => void deliveries.fetchNextPage()}
            loading={deliveries.isFetchingNextPage}
          >
            {t('settings.webhooks.deliveries.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function WebhookRow({ webhook, onDelete }: { webhook: Webhook; onDelete(webhook: Webhook): void }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => sendWebhookTest(webhook.id),
    onSuccess: async () => {
      setOpen(true);
      await queryClient.invalidateQueries({ queryKey: [...webhooksQueryKey, webhook.id, 'deliveries'] });
    },
  });
  const testFailure = test.error ? describeError(test.error) : undefined;
  const panelId = `deliveries-${webhook.id}`;
  return (
    <Paper withBorder p="sm" radius="md" component="li" style={{ listStyle: 'none' }}>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <div style={{ minWidth: 0 }}>
          <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
            {webhook.url}
          </Text>
          <Text size="sm" c="dimmed">
            {t('settings.webhooks.createdAt', { date: formatDateTime(webhook.createdAt, i18n.language) })}
          </Text>
        </div>
        <Group gap="xs">
          <Button
            variant="default"
            size="sm"
            leftSection={<IconSend size={16} aria-hidden />}
            onClick={() => test.mutate()}
            loading={test.isPending}
            aria-label={t('settings.webhooks.sendTestOf', { url: webhook.url })}
          >
            {t('settings.webhooks.sendTest')}
          </Button>
          <Button
            variant="default"
            size="sm"
            onClick={() => setOpen((value) => !value)}
            aria-expanded={open}
            aria-controls={panelId}
            aria-label={
              open
                ? t('settings.webhooks.hideDeliveriesOf', { url: webhook.url })
                : t('settings.webhooks.showDeliveriesOf', { url: webhook.url })
            }
          >
            {open ? t('settings.webhooks.hideDeliveries') : t('settings.webhooks.showDeliveries')}
          </Button>
          <Button
            variant="light"
            color="red"
            size="sm"
            leftSection={<IconTrash size={16} aria-hidden />}
            onClick={() => onDelete(webhook)}
            aria-label={t('settings.webhooks.deleteOf', { url: webhook.url })}
          >
            {t('settings.webhooks.delete')}
          </Button>
        </Group>
      </Group>
      {test.isSuccess && (
        <Text size="sm" mt="xs" role="status">
          {t('settings.webhooks.testSent')}
        </Text>
      )}
      {testFailure && (
        <Text size="sm" mt="xs" c={readableColor('red')} role="alert">
          {test.error instanceof ApiError && test.error.code === 'test_delivery_pending'
            ? t('settings.webhooks.testPending')
            : t(testFailure.key, testFailure.values)}
        </Text>
      )}
      {open && (
        <div id={panelId} style={{ marginTop: 'var(--mantine-spacing-sm)' }}>
          <Deliveries webhook={webhook} />
        </div>
      )}
    </Paper>
  );
}

function Webhooks() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const webhooks = useQuery({ queryKey: webhooksQueryKey, queryFn: () => fetchWebhooks() });
  const [url, setUrl] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const [created, setCreated] = useState<CreatedWebhook | undefined>(undefined);
  const [deleting, setDeleting] = useState<Webhook | undefined>(undefined);
  const create = useMutation({
    mutationFn: (value: string) => createWebhook(value),
    onSuccess: async (answer) => {
      setCreated(answer);
      setUrl('');
      setShowErrors(false);
      await queryClient.invalidateQueries({ queryKey: webhooksQueryKey });
    },
  });
  const remove = useMutation({
    mutationFn: (webhook: Webhook) => deleteWebhook(webhook.id),
    onSuccess: async () => {
      setDeleting(undefined);
      await queryClient.invalidateQueries({ queryKey: webhooksQueryKey });
    },
  });

  const problem = urlProblem(url.trim());
  const urlError =
    showErrors && problem
      ? problem === 'required'
        ? t('settings.webhooks.validation.required')
        : t('settings.webhooks.validation.invalid')
      : undefined;
  const createFailure = create.error ? describeError(create.error) : undefined;
  const listFailure = webhooks.error ? describeError(webhooks.error) : undefined;
  const removeFailure = remove.error ? describeError(remove.error) : undefined;
  const items = webhooks.data?.items ?? [];

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (problem || create.isPending) return;
    setCreated(undefined);
    create.mutate(url.trim());
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="webhooks-heading">
      <Stack gap="md">
        <div>
          <Title order={2} size="h3" id="webhooks-heading">
            {t('settings.webhooks.heading')}
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            {t('settings.webhooks.intro')}
          </Text>
        </div>
        <form onSubmit={onSubmit} noValidate aria-label={t('settings.webhooks.add')}>
          <Group align="flex-start" gap="sm" wrap="wrap">
            <TextInput
              label={t('settings.webhooks.url')}
              description={t('settings.webhooks.urlHint')}
              placeholder="https://hooks.example.com/sigdesk"
              value={url}
              onChange={(event) => setUrl(event.currentTarget.value)}
              error={urlError}
              maxLength={2000}
              style={{ flex: '1 1 360px' }}
              type="url"
              withAsterisk
            />
            <Button type="submit" loading={create.isPending} mt={{ base: 0, sm: 46 }}>
              {t('settings.webhooks.add')}
            </Button>
          </Group>
        </form>
        {createFailure && (
          <Alert
            color="red"
            icon={<IconAlertTriangle aria-hidden />}
            title={t('settings.webhooks.addFailed')}
            role="alert"
          >
            {create.error instanceof ApiError && create.error.code === 'webhook_destination_refused'
              ? t('settings.webhooks.destinationRefused')
              : t(createFailure.key, createFailure.values)}
          </Alert>
        )}
        {created && <NewSecret created={created} onDone={() => setCreated(undefined)} />}
        {listFailure && (
          <Text c={readableColor('red')} role="alert">
            {t(listFailure.key, listFailure.values)}
          </Text>
        )}
        {webhooks.isSuccess && items.length === 0 && <Text c="dimmed">{t('settings.webhooks.empty')}</Text>}
        {items.length > 0 && (
          <Stack gap="sm" component="ul" p={0} m={0} aria-label={t('settings.webhooks.list')}>
            {items.map((webhook) => (
              <WebhookRow key={webhook.id} webhook={webhook} onDelete={setDeleting} />
            ))}
          </Stack>
        )}
      </Stack>
      <Modal
        opened={deleting !== undefined}
        onClose={() => {
          setDeleting(undefined);
          remove.reset();
        }}
        title={t('settings.webhooks.confirm.title')}
        centered
      >
        <Stack gap="md">
          <Text>{t('settings.webhooks.confirm.message', { url: deleting?.url ?? '' })}</Text>
          {removeFailure && (
            <Text c={readableColor('red')} role="alert">
              {t(removeFailure.key, removeFailure.values)}
            </Text>
          )}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={() => {
                setDeleting(undefined);
                remove.reset();
              }}
            >
              {t('settings.webhooks.confirm.cancel')}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => deleting && remove.mutate(deleting)}>
              {t('settings.webhooks.confirm.delete')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

export function SettingsPage() {
  usePageCatalog(settingsCatalog);
  const { t } = useTranslation();
  return (
    <CustomerPage title={t('settings.title')} description={t('settings.description')}>
      <Webhooks />
      <ApiKeys />
    </CustomerPage>
  );
}
