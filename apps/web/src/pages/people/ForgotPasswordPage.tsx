import { Alert, Anchor, Button, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconMailCheck } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { describeError } from '../../api/errors';
import { requestPasswordReset } from '../../api/people';
import { usePageTitle } from '../../hooks/usePageTitle';
import { peopleCatalog, usePageCatalog } from '../../i18n/page-catalogs';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `/password-resets`: a link to choose a new password, mailed when the email has an account (never told). */
export function ForgotPasswordPage() {
  usePageCatalog(peopleCatalog);
  const { t } = useTranslation();
  usePageTitle(t('forgot.pageTitle'));
  const form = useForm({
    mode: 'controlled',
    initialValues: { email: '' },
    validate: { email: (value) => (EMAIL.test(value.trim()) ? null : t('forgot.emailInvalid')) },
  });
  const send = useMutation({ mutationFn: (email: string) => requestPasswordReset(email) });
  const failure = send.isError ? describeError(send.error) : undefined;

  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            {t('forgot.title')}
          </Title>
          <Text c="dimmed" size="sm" mt={6}>
            {t('forgot.intro')}
          </Text>
        </div>
        {send.isSuccess ? (
          <Alert color="green" variant="light" title={t('forgot.sentTitle')} icon={<IconMailCheck aria-hidden />}>
            {t('forgot.sent', { email: send.variables })}
          </Alert>
        ) : (
          <>
            {failure && (
              <Alert color="red" variant="light" title={t('forgot.failed')} icon={<IconAlertCircle aria-hidden />}>
                {t(failure.key, failure.values)}
              </Alert>
            )}
            <form onSubmit={form.onSubmit((values) => send.mutate(values.email.trim()))} noValidate>
              <Stack gap="md">
                <TextInput
                  label={t('forgot.email')}
                  type="email"
                  autoComplete="username"
                  required
                  {...form.getInputProps('email')}
                />
                <Button type="submit" fullWidth size="md" loading={send.isPending}>
                  {t('forgot.submit')}
                </Button>
              </Stack>
            </form>
          </>
        )}
        <Anchor component={Link} to="/sign-in" size="sm" ta="center">
          {t('forgot.back')}
        </Anchor>
      </Stack>
    </Paper>
  );
}
