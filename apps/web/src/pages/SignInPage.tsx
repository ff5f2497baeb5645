import { Alert, Anchor, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconArrowLeft, IconInfoCircle, IconShieldLock } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { describeError, type ErrorMessage } from '../api/errors';
import { signIn, TOTP_REQUIRED, type SignInRequest } from '../api/session';
import { PageLoader } from '../components/PageLoader';
import { rememberSession, useSession } from '../hooks/session';
import { usePageTitle } from '../hooks/usePageTitle';
import { translationKey } from '../i18n';
import { ACCOUNT_PATH, safeNextPath } from '../routes/next-path';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What the page says first, by the `reason` it was opened for. */
const NOTICES = {
  expired: translationKey('signIn.expired'),
  'password-changed': translationKey('signIn.passwordChanged'),
  'account-ready': translationKey('signIn.accountReady'),
} as const;

function signInError(error: unknown): ErrorMessage {
  // the API without people's sessions answers the route as unknown
  if (error instanceof ApiError && error.status === 404) {
    return { key: translationKey('errors.signInUnavailable'), values: {} };
  }
  return describeError(error);
}

/** Email and password, then the second factor when the account has one. */
export function SignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('signIn.pageTitle'));
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const reason = params.get('reason');
  const notice = reason && reason in NOTICES ? NOTICES[reason as keyof typeof NOTICES] : undefined;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const session = useSession();
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const totpInput = useRef<HTMLInputElement>(null);

  const form = useForm({
    mode: 'controlled',
    initialValues: { email: '', password: '', totpCode: '' },
    validate: {
      email: (value) =>
        !value.trim()
          ? t('signIn.validation.emailRequired')
          : EMAIL.test(value.trim())
            ? null
            : t('signIn.validation.emailInvalid'),
      password: (value) => (value ? null : t('signIn.validation.passwordRequired')),
      totpCode: (value) => (step === 'password' || /^\d{6}$/.test(value) ? null : t('signIn.validation.totpInvalid')),
    },
  });

  const attempt = useMutation({
    mutationFn: (request: SignInRequest) => signIn(request),
    onSuccess: async (signedIn) => {
      rememberSession(queryClient, signedIn);
      // staff who must enrol a second factor reach only the account page until they do
      await navigate(signedIn.totpEnrolmentRequired ? ACCOUNT_PATH : next, { replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === TOTP_REQUIRED) setStep('totp');
    },
  });

  useEffect(() => {
    if (step === 'totp') totpInput.current?.focus();
  }, [step]);

  if (session.isPending) return <PageLoader />;
  if (session.data) return <Navigate to={next} replace />;

  const needsCode = attempt.error instanceof ApiError && attempt.error.code === TOTP_REQUIRED;
  const failure = attempt.isError && !needsCode ? signInError(attempt.error) : undefined;

  const submit = form.onSubmit((values) => {
    attempt.mutate({
      email: values.email.trim(),
      password: values.password,
      ...(step === 'totp' ? { totpCode: values.totpCode } : {}),
    });
  });

  return (
    <Paper withBorder shadow="sm" radius="lg" p="xl" mt="xl">
      <Stack gap="lg">
        <div>
          <Title order={1} size="h2">
            {step === 'password' ? t('signIn.title') : t('signIn.totpTitle')}
          </Title>
          <Text c="dimmed" size="sm" mt={6}>
            {step === 'password' ? t('signIn.intro') : t('signIn.totpIntro')}
          </Text>
        </div>

        {notice && !failure && step === 'password' && (
          <Alert color="blue" variant="light" title={t('signIn.notice')} icon={<IconInfoCircle aria-hidden />}>
            {t(notice)}
          </Alert>
        )}

        {failure && (
          <Alert color="red" variant="light" title={t('signIn.failed')} icon={<IconAlertCircle aria-hidden />}>
            {t(failure.key, failure.values)}
          </Alert>
        )}

        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            {step === 'password' ? (
              <>
                <TextInput
                  label={t('signIn.email')}
                  placeholder={t('signIn.emailPlaceholder')}
                  type="email"
                  autoComplete="username"
                  required
                  {...form.getInputProps('email')}
                />
                <PasswordInput
                  label={t('signIn.password')}
                  autoComplete="current-password"
                  required
                  visibilityToggleFocusable
                  visibilityToggleButtonProps={{ 'aria-label': t('signIn.showPassword') }}
                  {...form.getInputProps('password')}
                />
              </>
            ) : (
              <TextInput
                ref={totpInput}
                label={t('signIn.totpCode')}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                required
                leftSection={<IconShieldLock size={16} aria-hidden />}
                {...form.getInputProps('totpCode')}
              />
            )}
            <Button type="submit" fullWidth size="md" loading={attempt.isPending}>
              {step === 'password' ? t('signIn.submit') : t('signIn.verify')}
            </Button>
            {step === 'totp' && (
              <Group justify="center">
                <Button
                  variant="subtle"
                  leftSection={<IconArrowLeft size={16} aria-hidden />}
                  onClick={() => {
                    setStep('password');
                    form.setFieldValue('totpCode', '');
                    attempt.reset();
                  }}
                >
                  {t('signIn.back')}
                </Button>
              </Group>
            )}
          </Stack>
        </form>

        {step === 'password' && (
          <Anchor component={Link} to="/password-resets" size="sm" ta="center">
            {t('signIn.forgot')}
          </Anchor>
        )}

        <Stack gap={4}>
          <Text size="xs" c="dimmed">
            {t('signIn.invited')}
          </Text>
          <Text size="xs" c="dimmed">
            {t('signIn.automation')}
          </Text>
        </Stack>
      </Stack>
    </Paper>
  );
}
