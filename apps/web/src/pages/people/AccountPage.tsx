import { Alert, Badge, Button, Code, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconLogout, IconShieldCheck, IconShieldLock } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { notifyDone } from '../../components/notify';
import { useNavigate } from 'react-router';
import { describeError } from '../../api/errors';
import { confirmTotp, startTotp } from '../../api/people';
import { fetchSession, sessionQueryKey, signOut } from '../../api/session';
import { forgetSession, useSession } from '../../hooks/session';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { CustomerPage } from '../customer/CustomerPage';
import { QrCode } from './QrCode';

function TotpEnrolment() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const start = useMutation({ mutationFn: () => startTotp() });
  const confirm = useMutation({
    mutationFn: (code: string) => confirmTotp(code),
    // the session may have been one for the enrolment only: the API tells what it is now
    onSuccess: async () => {
      queryClient.setQueryData(sessionQueryKey, await fetchSession());
      notifyDone(t, t('account.enabled'));
    },
  });
  const form = useForm({
    mode: 'controlled',
    initialValues: { code: '' },
    validate: { code: (value) => (/^\d{6}$/.test(value) ? null : t('account.codeInvalid')) },
  });
  const failure = start.error ?? confirm.error;
  const message = failure ? describeError(failure) : undefined;

  return (
    <Stack gap="md">
      {message && (
        <Alert color="red" variant="light" title={t('account.failed')} icon={<IconAlertCircle aria-hidden />}>
          {t(message.key, message.values)}
        </Alert>
      )}
      {!start.data ? (
        <Group>
          <Button
            leftSection={<IconShieldLock size={16} aria-hidden />}
            loading={start.isPending}
            onClick={() => start.mutate()}
          >
            {t('account.start')}
          </Button>
        </Group>
      ) : (
        <Stack gap="md">
          <Text size="sm">{t('account.scan')}</Text>
          <QrCode text={start.data.otpauthUri} label={t('account.qrLabel')} />
          <Text size="sm">
            {t('account.secret')}{' '}
            <Code data-testid="totp-secret">
              {/* groups of four are easier to type; copied, the key has no spaces */}
              {(start.data.secret.match(/.{1,4}/g) ?? []).map((group, index) => (
                <span key={index} style={index > 0 ? { marginInlineStart: '0.35em' } : undefined}>
                  {group}
                </span>
              ))}
            </Code>
          </Text>
          <Text size="sm">{t('account.confirmIntro')}</Text>
          <form onSubmit={form.onSubmit((values) => confirm.mutate(values.code))} noValidate>
            <Group align="flex-start">
              <TextInput
                label={t('account.code')}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                required
                {...form.getInputProps('code')}
              />
              <Button type="submit" mt={25} loading={confirm.isPending}>
                {t('account.confirm')}
              </Button>
            </Group>
          </form>
        </Stack>
      )}
    </Stack>
  );
}

/** `/account`: who is signed in, the second factor (on, or turned on here), and signing out everywhere. */
export function AccountPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  const { data: session } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const everywhere = useMutation({
    mutationFn: () => signOut(undefined, true),
    onSettled: () => {
      forgetSession(queryClient);
      void navigate('/sign-in', { replace: true });
    },
  });
  if (!session) return null;
  const { user } = session;

  return (
    <CustomerPage title={t('account.pageTitle')} description={t('account.description')}>
      {session.totpEnrolmentRequired && (
        <Alert color="orange" variant="light" icon={<IconShieldLock aria-hidden />} title={t('account.totpTitle')}>
          {t('account.enrolmentRequired')}
        </Alert>
      )}
      <Paper withBorder radius="md" p="lg">
        <Title order={2} size="h4" mb="sm">
          {t('account.who')}
        </Title>
        <Stack gap={4}>
          <Text size="sm">
            {t('account.name')}: <strong>{user.displayName}</strong>
          </Text>
          <Text size="sm">
            {t('account.email')}: <strong>{user.email}</strong>
          </Text>
          {user.organizationAdmin && (
            <Group>
              <Badge variant="light">{t('account.organizationAdmin')}</Badge>
            </Group>
          )}
        </Stack>
      </Paper>
      <Paper withBorder radius="md" p="lg">
        <Title order={2} size="h4" mb="sm">
          {t('account.totpTitle')}
        </Title>
        {user.totpEnabled ? (
          <Alert color="green" variant="light" icon={<IconShieldCheck aria-hidden />}>
            {t('account.totpOn')}
          </Alert>
        ) : (
          <Stack gap="md">
            <Text size="sm">{t('account.totpOff')}</Text>
            <TotpEnrolment />
          </Stack>
        )}
      </Paper>
      <Paper withBorder radius="md" p="lg">
        <Title order={2} size="h4" mb="sm">
          {t('account.sessionsTitle')}
        </Title>
        <Text size="sm" mb="md">
          {t('account.sessionsIntro')}
        </Text>
        <Button
          variant="light"
          color="red"
          leftSection={<IconLogout size={16} aria-hidden />}
          loading={everywhere.isPending}
          onClick={() => everywhere.mutate()}
        >
          {t('account.signOutEverywhere')}
        </Button>
      </Paper>
    </CustomerPage>
  );
}
