import { useTranslation } from 'react-i18next';
import { CustomerPage } from './CustomerPage';

export function SubmitPage() {
  const { t } = useTranslation();
  return <CustomerPage title={t('submit.title')} description={t('submit.description')} />;
}
