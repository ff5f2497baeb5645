import { useTranslation } from 'react-i18next';
import { CustomerPage } from './CustomerPage';

export function SettingsPage() {
  const { t } = useTranslation();
  return <CustomerPage title={t('settings.title')} description={t('settings.description')} />;
}
