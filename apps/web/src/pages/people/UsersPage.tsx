import { Alert, Button, Checkbox, Group, Modal, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconCircleCheck, IconCircleMinus, IconUserPlus } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { notifyDone } from '../../components/notify';
import { Navigate } from 'react-router';
import { describeError } from '../../api/errors';
import {
  disableOrganizationUser,
  inviteColleague,
  listOrganizationUsers,
  organizationUsersQueryKey,
  type InvitationRequest,
  type ListedUser,
} from '../../api/people';
import { useSession } from '../../hooks/session';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { HOME_PATH } from '../../routes/next-path';
import { CustomerPage } from '../customer/CustomerPage';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function InviteModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm<InvitationRequest>({
    mode: 'controlled',
    initialValues: { email: '', displayName: '', organizationAdmin: false },
    validate: {
      email: (value) => (EMAIL.test(value.trim()) ? null : t('users.emailInvalid')),
      displayName: (value) => (value.trim() ? null : t('users.nameRequired')),
    },
  });
  const invite = useMutation({
    mutationFn: (input: InvitationRequest) => inviteColleague(input),
    onSuccess: async (_answer, input) => {
      notifyDone(t, t('users.invited', { email: input.email }));
      form.reset();
      onClose();
      await queryClient.invalidateQueries({ queryKey: organizationUsersQueryKey });
    },
  });
  const failure = invite.isError ? describeError(invite.error) : undefined;
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('users.inviteTitle')}
      size="md"
      closeButtonProps={{ 'aria-label': t('users.close') }}
    >
      <form
        onSubmit={form.onSubmit((values) =>
          invite.mutate({ ...values, email: values.email.trim(), displayName: values.displayName.trim() }),
        )}
        noValidate
      >
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            {t('users.inviteIntro')}
          </Text>
          {failure && (
            <Alert color="red" variant="light" title={t('users.inviteFailed')} icon={<IconAlertCircle aria-hidden />}>
              {t(failure.key, failure.values)}
            </Alert>
          )}
          <TextInput label={t('users.inviteEmail')} type="email" required {...form.getInputProps('email')} />
          <TextInput label={t('users.inviteName')} required maxLength={120} {...form.getInputProps('displayName')} />
          <Checkbox label={t('users.inviteAdmin')} {...form.getInputProps('organizationAdmin', { type: 'checkbox' })} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('users.cancel')}
            </Button>
            <Button type="submit" loading={invite.isPending}>
              {t('users.send')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function DisableModal({ user, onClose }: { user: ListedUser | null; onClose(): void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const disable = useMutation({
    mutationFn: (target: ListedUser) => disableOrganizationUser(target.id),
    onSuccess: async (_answer, target) => {
      notifyDone(t, t('users.disabledDone', { name: target.displayName }));
      onClose();
      await queryClient.invalidateQueries({ queryKey: organizationUsersQueryKey });
    },
  });
  const failure = disable.isError ? describeError(disable.error) : undefined;
  return (
    <Modal
      opened={user !== null}
      onClose={() => {
        disable.reset();
        onClose();
      }}
      title={t('users.confirmTitle')}
      closeButtonProps={{ 'aria-label': t('users.close') }}
    >
      {user && (
        <Stack gap="md">
          <Text size="sm">{t('users.confirmText', { name: user.displayName, email: user.email })}</Text>
          {failure && (
            <Alert color="red" variant="light" title={t('users.disableFailed')} icon={<IconAlertCircle aria-hidden />}>
              {t(failure.key, failure.values)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('users.cancel')}
            </Button>
            <Button color="red" loading={disable.isPending} onClick={() => disable.mutate(user)}>
              {t('users.confirmDisable')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

/** `/users`: an organisation's admin lists, invites and disables the people of their organisation. */
export function UsersPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  const { data: session } = useSession();
  const [inviting, setInviting] = useState(false);
  const [disabling, setDisabling] = useState<ListedUser | null>(null);
  const isAdmin = session?.user.organizationAdmin === true;
  const users = useInfiniteQuery({
    queryKey: organizationUsersQueryKey,
    queryFn: ({ pageParam }) => listOrganizationUsers(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    enabled: isAdmin,
  });
  if (!session) return null;
  if (!isAdmin) return <Navigate to={HOME_PATH} replace />;
  const rows = users.data?.pages.flatMap((page) => page.items) ?? [];
  const failure = users.isError ? describeError(users.error) : undefined;

  return (
    <CustomerPage title={t('users.pageTitle')} description={t('users.description')}>
      <Group>
        <Button leftSection={<IconUserPlus size={16} aria-hidden />} onClick={() => setInviting(true)}>
          {t('users.invite')}
        </Button>
      </Group>
      {failure && (
        <Alert color="red" variant="light" title={t('users.loadFailed')} icon={<IconAlertCircle aria-hidden />}>
          {t(failure.key, failure.values)}
        </Alert>
      )}
      <Paper withBorder radius="md">
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="sm" highlightOnHover aria-label={t('users.table')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('users.name')}</Table.Th>
                <Table.Th scope="col">{t('users.email')}</Table.Th>
                <Table.Th scope="col">{t('users.role')}</Table.Th>
                <Table.Th scope="col">{t('users.secondFactor')}</Table.Th>
                <Table.Th scope="col">{t('users.status')}</Table.Th>
                <Table.Th scope="col">{t('users.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((user) => {
                const self = user.id === session.user.id;
                return (
                  <Table.Tr key={user.id}>
                    <Table.Td>
                      {user.displayName}{' '}
                      {self && (
                        <Text span size="sm" c="dimmed">
                          {t('users.you')}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{user.email}</Table.Td>
                    <Table.Td>{user.organizationAdmin ? t('users.admin') : t('users.member')}</Table.Td>
                    <Table.Td>{user.totpEnabled ? t('users.on') : t('users.off')}</Table.Td>
                    <Table.Td>
                      {/* the text keeps the default colour (AA contrast); the icon only adds a cue */}
                      <Group gap={6} wrap="nowrap">
                        {user.disabled ? (
                          <IconCircleMinus size={16} color="var(--mantine-color-gray-7)" aria-hidden />
                        ) : (
                          <IconCircleCheck size={16} color="var(--mantine-color-green-8)" aria-hidden />
                        )}
                        <Text size="sm" fw={500}>
                          {user.disabled ? t('users.disabled') : t('users.active')}
                        </Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {!self && !user.disabled && (
                        <Button
                          size="xs"
                          variant="light"
                          color="red"
                          aria-label={t('users.disableLabel', { name: user.displayName })}
                          onClick={() => setDisabling(user)}
                        >
                          {t('users.disable')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
              {users.isSuccess && rows.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={6}>{t('users.empty')}</Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
      {users.hasNextPage && (
        <Group>
          <Button variant="default" loading={users.isFetchingNextPage} onClick={() => void users.fetchNextPage()}>
            {t('users.more')}
          </Button>
        </Group>
      )}
      <InviteModal opened={inviting} onClose={() => setInviting(false)} />
      <DisableModal user={disabling} onClose={() => setDisabling(null)} />
    </CustomerPage>
  );
}
