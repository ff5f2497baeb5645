import { Alert, Anchor, Group } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { describeError } from '../../api/errors';
import { changeQueryKey, fetchChange } from '../../api/signature-changes';
import { PageLoader } from '../../components/PageLoader';
import { useSession } from '../../hooks/session';
import { rulesCatalog, usePageCatalog } from '../../i18n/page-catalogs';
import { ChangeFacts, RuleView } from './rules/ChangeDetail';
import { RulesPageFrame } from './rules/RulesPageFrame';
import { ValidationReport } from './rules/ValidationReport';

/**
 * While a validation runs the page reads the change again this often, in case no live updates arrive (a proxy that
 * holds the event stream back); the live updates refresh it at each step of the validation.
 */
const VALIDATING_REFRESH_MS = 3_000;

/** `/changes/:changeId`: a signature change with its validation report, live while the validation runs. */
export function ChangePage() {
  usePageCatalog(rulesCatalog);
  const { t } = useTranslation();
  const { changeId = '' } = useParams();
  const { data: session } = useSession();
  const change = useQuery({
    queryKey: changeQueryKey(changeId),
    queryFn: () => fetchChange(changeId),
    refetchInterval: (query) => (query.state.data?.status === 'validating' ? VALIDATING_REFRESH_MS : false),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });

  if (change.isPending) return <PageLoader />;
  if (change.isError) {
    const missing = change.error instanceof ApiError && [400, 404].includes(change.error.status);
    const { key, values } = describeError(change.error);
    return (
      <RulesPageFrame title={t('rules.change.notFoundTitle')}>
        <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
          {missing ? t('rules.change.notFound') : t(key, values)}
        </Alert>
      </RulesPageFrame>
    );
  }
  const found = change.data;
  const mine = session?.user.id === found.author;
  return (
    <RulesPageFrame
      title={t('rules.change.title', {
        name: found.ruleName ?? found.targetRule ?? found.case?.reference ?? found.rulePack?.packName ?? '',
      })}
      description={t('rules.change.description')}
    >
      <ChangeFacts change={found} />
      <Group gap="md">
        {found.status === 'validated' && !mine && session?.user.role === 'analyst' && (
          <Anchor component={Link} to={`/approvals?change=${found.id}`}>
            {t('rules.change.toApprovals')}
          </Anchor>
        )}
        {found.status === 'validated' && mine && <Alert variant="light">{t('rules.approvals.waitingForOther')}</Alert>}
        {(found.status === 'validation_failed' || found.status === 'rejected') && mine && found.caseId && (
          <Anchor component={Link} to={`/review/${found.caseId}/change`}>
            {t('rules.change.writeAgain')}
          </Anchor>
        )}
        {found.rulePack && session?.user.role === 'admin' && (
          <Anchor component={Link} to={`/rule-packs/${found.rulePack.id}`}>
            {t('rules.change.toImport', { pack: found.rulePack.packName })}
          </Anchor>
        )}
      </Group>
      <RuleView change={found} />
      <ValidationReport change={found} />
    </RulesPageFrame>
  );
}
