import { useTranslation } from 'react-i18next';
import { CustomerPage } from './CustomerPage';

export function CasesPage() {
  const { t } = useTranslation();
  return <CustomerPage title={t('cases.title')} description={t('cases.description')} />;
}
