import { Alert, Button, Container } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { describeError } from '../api/errors';
import { sessionEndedQueryKey, signedOutQueryKey } from '../api/session';
import { PageLoader } from '../components/PageLoader';
import { useSession } from '../hooks/session';
import { ACCOUNT_PATH, signInPath } from './next-path';

/**
 * Renders its children for a signed-in person; anyone else goes to the sign-in page (told why when their session
 * ended under them), and comes back after. A session that must enrol a second factor first reaches only the
 * account page.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();
  const ended = useQuery({ queryKey: sessionEndedQueryKey, queryFn: () => false, staleTime: Infinity });
  const signedOut = useQuery({ queryKey: signedOutQueryKey, queryFn: () => false, staleTime: Infinity });
  const location = useLocation();
  if (session.isPending) return <PageLoader />;
  if (session.isError) {
    const message = describeError(session.error);
    return (
      <Container size="sm" py="xl">
        <Alert color="red" title={t('routeError.title')}>
          {t(message.key, message.values)}
          <Button mt="md" variant="light" color="red" onClick={() => void session.refetch()}>
            {t('routeError.reload')}
          </Button>
        </Alert>
      </Container>
    );
  }
  if (!session.data) {
    // signed out from this page: it is not where signing in again leads
    if (signedOut.data) return <Navigate to="/sign-in" replace />;
    return (
      <Navigate to={signInPath(location.pathname + location.search, ended.data ? 'expired' : undefined)} replace />
    );
  }
  if (session.data.totpEnrolmentRequired && location.pathname !== ACCOUNT_PATH) {
    return <Navigate to={ACCOUNT_PATH} replace />;
  }
  return children;
}
