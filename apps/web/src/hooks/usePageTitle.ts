import { useDocumentTitle } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';

/** The browser tab's title, `<page> · sigdesk`, in the current language. */
export function usePageTitle(page: string) {
  const { t } = useTranslation();
  useDocumentTitle(`${page} · ${t('app.name')}`);
}
