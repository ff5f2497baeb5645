import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../../../../libs/people/src/rules/password-policy';

export interface PasswordFormValues {
  password: string;
  repeat: string;
  /** The invitation's optional name. */
  displayName: string;
}

/** A new password typed twice, checked against the API's policy (its bounds; the API also refuses the email). */
export function usePasswordForm() {
  const { t } = useTranslation();
  return useForm<PasswordFormValues>({
    mode: 'controlled',
    initialValues: { password: '', repeat: '', displayName: '' },
    validate: {
      password: (value) => {
        const length = [...value].length;
        if (length < MIN_PASSWORD_LENGTH) return t('password.tooShort');
        if (length > MAX_PASSWORD_LENGTH) return t('password.tooLong');
        return null;
      },
      repeat: (value, values) => (value === values.password ? null : t('password.mismatch')),
    },
  });
}
