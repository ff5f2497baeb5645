import { Alert, Button, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { describeError } from '../../api/errors';
import { acceptInvitation } from '../../api/people';
import { signIn } from '../../api/session';
import { rememberSession } from '../../hooks/session';
import { usePageTitle } from '../../hooks/usePageTitle';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { ACCOUNT_PATH, HOME_PATH, signInPath } from '../../routes/next-path';
import { PasswordFields } from './PasswordFields';
import { usePasswordForm } from './password-form';

/** `/invitations/:token`: the invited person chooses a password, and is signed in with it. */
export function AcceptInvitationPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  usePageTitle(t('invitation.pageTitle'));
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = usePasswordForm();

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

  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            {t('invitation.title')}
          </Title>
          <Text c="dimmed" size="sm" mt={6}>
            {t('invitation.intro')}
          </Text>
        </div>
        {failure && (
          <Alert color="red" variant="light" title={t('invitation.failed')} icon={<IconAlertCircle aria-hidden />}>
            {t(failure.key, failure.values)}
          </Alert>
        )}
        <form onSubmit={form.onSubmit((values) => accept.mutate(values))} noValidate>
          <Stack gap="md">
            <TextInput
              label={t('invitation.displayName')}
              description={t('invitation.displayNameHint')}
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
      </Stack>
    </Paper>
  );
}
