import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { fetchCase } from '../../api/portal';
import { CustomerPage } from './CustomerPage';

export function CasePage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const found = useQuery({ queryKey: ['cases', 'detail', id], queryFn: () => fetchCase(id) });
  return (
    <CustomerPage
      title={found.data ? t('case.title', { reference: found.data.reference }) : t('app.loading')}
      description={t('case.description')}
    />
  );
}
