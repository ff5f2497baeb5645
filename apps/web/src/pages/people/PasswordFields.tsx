import { PasswordInput, Stack } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import type { PasswordFormValues } from './password-form';

/** The new password, its repetition, and the policy in words (linked to the field for screen readers). */
export function PasswordFields({ form }: { form: UseFormReturnType<PasswordFormValues> }) {
  const { t } = useTranslation();
  return (
    <Stack gap="md">
      <PasswordInput
        label={t('password.label')}
        description={t('password.policy')}
        autoComplete="new-password"
        required
        visibilityToggleButtonProps={{ 'aria-label': t('password.show') }}
        {...form.getInputProps('password')}
      />
      <PasswordInput
        label={t('password.repeat')}
        autoComplete="new-password"
        required
        visibilityToggleButtonProps={{ 'aria-label': t('password.show') }}
        {...form.getInputProps('repeat')}
      />
    </Stack>
  );
}
