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
import { IconAlertTriangle, IconCheck, IconCopy, IconKey } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import {
  apiKeysQueryKey,
  createApiKey,
  fetchApiKeys,
  revokeApiKey,
  type CreatedOrganizationApiKey,
  type OrganizationApiKey,
} from '../../api/portal';
import { useSession } from '../../hooks/session';
import { formatDateTime } from '../../i18n/format';
import { BODY_TEXT, readableColor } from '../../theme';

const NAME_MAX = 200;

/** The new key, in a dialog that stays until the person says they kept it: it is never shown again. */
function NewKeyDialog({ created, onClose }: { created: CreatedOrganizationApiKey | undefined; onClose(): void }) {
  const { t } = useTranslation();
  const example = created
    ? `curl -H "Authorization: Bearer ${created.key}" ${window.location.origin}/v1/submissions`
    : '';
  return (
    <Modal
      opened={created !== undefined}
      onClose={onClose}
      title={t('settings.apiKeys.created.title')}
      centered
      size="lg"
      closeOnClickOutside={false}
      closeButtonProps={{ 'aria-label': t('settings.apiKeys.created.close') }}
    >
      {created && (
        <Stack gap="md">
          <Alert
            color="yellow"
            icon={<IconAlertTriangle aria-hidden />}
            styles={{ message: { color: 'var(--mantine-color-text)' } }}
          >
            {t('settings.apiKeys.created.once', { name: created.name })}
          </Alert>
          <Code
            block
            style={{ wordBreak: 'break-all' }}
            data-testid="api-key-value"
            aria-label={t('settings.apiKeys.created.keyLabel')}
          >
            {created.key}
          </Code>
          <Text size="sm">{t('settings.apiKeys.created.usage')}</Text>
          <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {example}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={created.key}>
              {({ copied, copy }) => (
                <Button
                  variant="filled"
                  leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
                  onClick={copy}
                >
                  {copied ? t('settings.apiKeys.created.copied') : t('settings.apiKeys.created.copy')}
                </Button>
              )}
            </CopyButton>
            <Button variant="default" onClick={onClose}>
              {t('settings.apiKeys.created.done')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: OrganizationApiKey | undefined; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: (key: OrganizationApiKey) => revokeApiKey(key.id),
    onSuccess: async () => {
      onClose();
      await queryClient.invalidateQueries({ queryKey: apiKeysQueryKey });
    },
  });
  const failure = revoke.error ? describeError(revoke.error) : undefined;
  const close = () => {
    revoke.reset();
    onClose();
  };
  return (
    <Modal
      opened={apiKey !== undefined}
      onClose={close}
      title={t('settings.apiKeys.revoke.title')}
      centered
      closeButtonProps={{ 'aria-label': t('settings.apiKeys.created.close') }}
    >
      <Stack gap="md">
        <Text>{t('settings.apiKeys.revoke.message', { name: apiKey?.name ?? '' })}</Text>
        {failure && (
          <Text c={readableColor('red')} role="alert">
            {t(failure.key, failure.values)}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('settings.apiKeys.revoke.cancel')}
          </Button>
          {/* red.9: white text on it keeps AA contrast */}
          <Button color="red.9" loading={revoke.isPending} onClick={() => apiKey && revoke.mutate(apiKey)}>
            {t('settings.apiKeys.revoke.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function KeysTable({ onRevoke }: { onRevoke(key: OrganizationApiKey): void }) {
  const { t, i18n } = useTranslation();
  const keys = useInfiniteQuery({
    queryKey: apiKeysQueryKey,
    queryFn: ({ pageParam }) => fetchApiKeys(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = keys.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = keys.error ? describeError(keys.error) : undefined;
  const who = (name: string | null) => name ?? t('settings.apiKeys.bySigdesk');
  return (
    <Stack gap="xs">
      {failure && (
        <Text c={readableColor('red')} role="alert">
          {t(failure.key, failure.values)}
        </Text>
      )}
      {keys.isSuccess && rows.length === 0 && <Text c="dimmed">{t('settings.apiKeys.empty')}</Text>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" aria-label={t('settings.apiKeys.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('settings.apiKeys.name')}</Table.Th>
                <Table.Th scope="col">{t('settings.apiKeys.createdColumn')}</Table.Th>
                <Table.Th scope="col">{t('settings.apiKeys.lastUsed')}</Table.Th>
                <Table.Th scope="col">{t('settings.apiKeys.status')}</Table.Th>
                <Table.Th scope="col">{t('settings.apiKeys.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td>
                    <Text fw={600} size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {key.name}
                    </Text>
                    <Code>{key.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(key.createdAt, i18n.language)}</Text>
                    <Text size="sm" c="dimmed">
                      {t('settings.apiKeys.by', { name: who(key.createdBy) })}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {key.lastUsedAt ? formatDateTime(key.lastUsedAt, i18n.language) : t('settings.apiKeys.never')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {key.revoked ? (
                      <>
                        <Badge variant="light" color="gray" c={BODY_TEXT}>
                          {t('settings.apiKeys.revoked')}
                        </Badge>
                        {key.revokedAt && (
                          <Text size="sm" c="dimmed">
                            {t('settings.apiKeys.revokedOn', {
                              date: formatDateTime(key.revokedAt, i18n.language),
                              name: who(key.revokedBy),
                            })}
                          </Text>
                        )}
                      </>
                    ) : (
                      <Badge variant="light" color="green" c={BODY_TEXT}>
                        {t('settings.apiKeys.active')}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {!key.revoked && (
                      <Button
                        size="xs"
                        variant="light"
                        color="red"
                        onClick={() => onRevoke(key)}
                        aria-label={t('settings.apiKeys.revokeOf', { name: key.name })}
                      >
                        {t('settings.apiKeys.revokeButton')}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {keys.hasNextPage && (
        <Group>
          <Button
            variant="default"
            size="xs"
            loading={keys.isFetchingNextPage}
            onClick={() => void keys.fetchNextPage()}
          >
            {t('settings.apiKeys.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

/** Settings, "API keys": the organisation's keys for automation, made and revoked by its admins. */
export function ApiKeys() {
  const { t } = useTranslation();
  const { data: session } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const [created, setCreated] = useState<CreatedOrganizationApiKey | undefined>(undefined);
  const [revoking, setRevoking] = useState<OrganizationApiKey | undefined>(undefined);
  const create = useMutation({
    mutationFn: (value: string) => createApiKey(value),
    onSuccess: async (answer) => {
      setCreated(answer);
      setName('');
      setShowErrors(false);
      await queryClient.invalidateQueries({ queryKey: apiKeysQueryKey });
    },
  });
  const isAdmin = session?.user.organizationAdmin === true;
  const nameError = showErrors && !name.trim() ? t('settings.apiKeys.nameRequired') : undefined;
  const createFailure = create.error ? describeError(create.error) : undefined;
  const limit =
    create.error instanceof ApiError && create.error.code === 'too_many_api_keys'
      ? create.error.details.limit
      : undefined;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (!name.trim() || create.isPending) return;
    create.mutate(name.trim());
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="api-keys-heading">
      <Stack gap="md">
        <div>
          <Title order={2} size="h3" id="api-keys-heading">
            {t('settings.apiKeys.heading')}
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            {t('settings.apiKeys.intro')}
          </Text>
        </div>
        {!isAdmin ? (
          <Text size="sm">{t('settings.apiKeys.adminsOnly')}</Text>
        ) : (
          <>
            <form onSubmit={onSubmit} noValidate aria-label={t('settings.apiKeys.create')}>
              <Group align="flex-start" gap="sm" wrap="wrap">
                <TextInput
                  label={t('settings.apiKeys.nameLabel')}
                  description={t('settings.apiKeys.nameHint')}
                  value={name}
                  onChange={(event) => setName(event.currentTarget.value)}
                  error={nameError}
                  maxLength={NAME_MAX}
                  style={{ flex: '1 1 360px' }}
                  withAsterisk
                />
                <Button
                  type="submit"
                  loading={create.isPending}
                  leftSection={<IconKey size={16} aria-hidden />}
                  mt={{ base: 0, sm: 46 }}
                >
                  {t('settings.apiKeys.create')}
                </Button>
              </Group>
            </form>
            {createFailure && (
              <Alert
                color="red"
                icon={<IconAlertTriangle aria-hidden />}
                title={t('settings.apiKeys.createFailed')}
                role="alert"
              >
                {typeof limit === 'number'
                  ? t('settings.apiKeys.tooMany', { limit })
                  : t(createFailure.key, createFailure.values)}
              </Alert>
            )}
            <KeysTable onRevoke={setRevoking} />
            <NewKeyDialog created={created} onClose={() => setCreated(undefined)} />
            <RevokeDialog apiKey={revoking} onClose={() => setRevoking(undefined)} />
          </>
        )}
      </Stack>
    </Paper>
  );
}
