import { Alert, Anchor, Button, Paper, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { resetPassword } from '../../api/people';
import { sessionQueryKey } from '../../api/session';
import { usePageTitle } from '../../hooks/usePageTitle';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { HOME_PATH, signInPath } from '../../routes/next-path';
import { PasswordFields } from './PasswordFields';
import { usePasswordForm } from './password-form';

/** `/password-resets/:token`: the mailed link's page; the new password ends every session of the account. */
export function ResetPasswordPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  usePageTitle(t('reset.pageTitle'));
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = usePasswordForm();
  const reset = useMutation({
    mutationFn: (password: string) => resetPassword(token, password),
    onSuccess: async () => {
      // this browser's session, if any, ended with the others
      queryClient.setQueryData(sessionQueryKey, null);
      await navigate(signInPath(HOME_PATH, 'password-changed'), { replace: true });
    },
  });
  const failure = reset.isError ? describeError(reset.error) : undefined;
  const linkDead = reset.error instanceof ApiError && reset.error.code === 'link_invalid';

  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            {t('reset.title')}
          </Title>
          <Text c="dimmed" size="sm" mt={6}>
            {t('reset.intro')}
          </Text>
        </div>
        {failure && (
          <Alert color="red" variant="light" title={t('reset.failed')} icon={<IconAlertCircle aria-hidden />}>
            {t(failure.key, failure.values)}
            {linkDead && (
              <Anchor component={Link} to="/password-resets" display="block" mt="xs">
                {t('reset.newLink')}
              </Anchor>
            )}
          </Alert>
        )}
        <form onSubmit={form.onSubmit((values) => reset.mutate(values.password))} noValidate>
          <Stack gap="md">
            <PasswordFields form={form} />
            <Button type="submit" fullWidth size="md" loading={reset.isPending}>
              {t('reset.submit')}
            </Button>
          </Stack>
        </form>
      </Stack>
    </Paper>
  );
}
