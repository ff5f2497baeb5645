import { Alert, Anchor, Button, Loader, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle, IconMail } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { acceptInvitation, fetchInvitation, type InvitationPreview } from '../../api/people';
import { signIn } from '../../api/session';
import { rememberSession } from '../../hooks/session';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatDateTime } from '../../i18n/format';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { ACCOUNT_PATH, HOME_PATH, signInPath } from '../../routes/next-path';
import { PasswordFields } from './PasswordFields';
import { usePasswordForm } from './password-form';

/** Yellow titles on yellow are too faint (AA contrast): the title keeps the text's colour. */
const READABLE_TITLE = { title: { color: 'var(--mantine-color-text)' } };

/** Why the link no longer works, when the API says so: the page then says what to do instead of showing the form. */
type DeadLink = { reason: 'used' } | { reason: 'expired'; expiredAt?: string } | { reason: 'unknown' };

function deadLink(error: unknown): DeadLink | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.status === 404) return { reason: 'unknown' };
  if (error.code === 'invitation_used') return { reason: 'used' };
  if (error.code === 'invitation_expired') {
    const expiredAt = error.details.expiredAt;
    return { reason: 'expired', ...(typeof expiredAt === 'string' ? { expiredAt } : {}) };
  }
  return undefined;
}

function DeadLinkAlert({ dead }: { dead: DeadLink }) {
  const { t, i18n } = useTranslation();
  if (dead.reason === 'used') {
    return (
      <Alert
        color="yellow"
        variant="light"
        styles={READABLE_TITLE}
        title={t('invitation.usedTitle')}
        icon={<IconAlertCircle aria-hidden />}
      >
        <Text size="sm">{t('invitation.used')}</Text>
        <Anchor component={Link} to={signInPath(HOME_PATH)} display="block" mt="xs">
          {t('invitation.signIn')}
        </Anchor>
        <Anchor component={Link} to="/password-resets" display="block" mt={4}>
          {t('invitation.forgotPassword')}
        </Anchor>
      </Alert>
    );
  }
  if (dead.reason === 'expired') {
    return (
      <Alert
        color="yellow"
        variant="light"
        styles={READABLE_TITLE}
        title={t('invitation.expiredTitle')}
        icon={<IconAlertCircle aria-hidden />}
      >
        {dead.expiredAt
          ? t('invitation.expiredOn', { date: formatDateTime(dead.expiredAt, i18n.language) })
          : t('invitation.expired')}
      </Alert>
    );
  }
  return (
    <Alert color="red" variant="light" title={t('invitation.unknownTitle')} icon={<IconAlertCircle aria-hidden />}>
      {t('invitation.unknown')}
    </Alert>
  );
}

/** Who is invited, to what: read from the link before the password is chosen. */
function InvitationSummary({ invitation }: { invitation: InvitationPreview }) {
  const { t, i18n } = useTranslation();
  return (
    <Paper
      withBorder
      radius="md"
      p="md"
      bg="light-dark(var(--mantine-color-gray-0), var(--mantine-color-dark-6))"
      data-testid="invitation-summary"
    >
      <Stack gap={4}>
        <Text fw={600}>{t('invitation.hello', { name: invitation.displayName })}</Text>
        <Text size="sm">
          {invitation.organizationName
            ? invitation.organizationAdmin
              ? t('invitation.toOrganizationAdmin', { organization: invitation.organizationName })
              : t('invitation.toOrganization', { organization: invitation.organizationName })
            : t('invitation.toStaff')}
        </Text>
        <Text size="sm">
          <IconMail size={14} aria-hidden style={{ verticalAlign: 'middle', marginRight: 4 }} />
          {t('invitation.email', { email: invitation.email })}
        </Text>
        <Text size="sm" c="dimmed">
          {t('invitation.expiresAt', { date: formatDateTime(invitation.expiresAt, i18n.language) })}
        </Text>
      </Stack>
    </Paper>
  );
}

/** `/invitations/:token`: the invited person chooses a password, and is signed in with it. */
export function AcceptInvitationPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  usePageTitle(t('invitation.pageTitle'));
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = usePasswordForm();
  const invitation = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => fetchInvitation(token),
    retry: false,
    staleTime: Infinity,
  });

  const accept = useMutation({
    mutationFn: async (values: { password: string; displayName: string }) => {
      const displayName = values.displayName.trim();
      const user = await acceptInvitation(token, {
        password: values.password,
        ...(displayName ? { displayName } : {}),
      });
      try {
        return await signIn({ email: user.email, password: values.password });
      } catch {
        // the account exists: whatever kept the sign-in back (a limit, a hiccup), the sign-in page takes over
        return null;
      }
    },
    onSuccess: async (session) => {
      if (!session) {
        await navigate(signInPath(HOME_PATH, 'account-ready'), { replace: true });
        return;
      }
      rememberSession(queryClient, session);
      await navigate(session.totpEnrolmentRequired ? ACCOUNT_PATH : HOME_PATH, { replace: true });
    },
  });
  const failure = accept.isError ? describeError(accept.error) : undefined;
  const dead = deadLink(invitation.error);
  // another failure to read the invitation (the network, a limit) leaves the form: accepting tells the rest
  const readFailure = invitation.isError && !dead ? describeError(invitation.error) : undefined;

  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            {t('invitation.title')}
          </Title>
          {!dead && (
            <Text c="dimmed" size="sm" mt={6}>
              {t('invitation.intro')}
            </Text>
          )}
        </div>
        {invitation.isPending && <Loader size="sm" aria-label={t('invitation.loading')} />}
        {invitation.data && <InvitationSummary invitation={invitation.data} />}
        {dead && <DeadLinkAlert dead={dead} />}
        {readFailure && (
          <Alert color="red" variant="light" title={t('invitation.readFailed')} icon={<IconAlertCircle aria-hidden />}>
            {t(readFailure.key, readFailure.values)}
          </Alert>
        )}
        {failure && (
          <Alert color="red" variant="light" title={t('invitation.failed')} icon={<IconAlertCircle aria-hidden />}>
            {t(failure.key, failure.values)}
          </Alert>
        )}
        {!dead && !invitation.isPending && (
          <form onSubmit={form.onSubmit((values) => accept.mutate(values))} noValidate>
            <Stack gap="md">
              <TextInput
                label={t('invitation.displayName')}
                description={
                  invitation.data
                    ? t('invitation.displayNameKeeps', { name: invitation.data.displayName })
                    : t('invitation.displayNameHint')
                }
                autoComplete="name"
                maxLength={120}
                {...form.getInputProps('displayName')}
              />
              <PasswordFields form={form} />
              <Button type="submit" fullWidth size="md" loading={accept.isPending}>
                {t('invitation.submit')}
              </Button>
            </Stack>
          </form>
        )}
      </Stack>
    </Paper>
  );
}
