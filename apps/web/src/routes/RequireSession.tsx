import { Alert, Button, Container } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { describeError } from '../api/errors';
import { PageLoader } from '../components/PageLoader';
import { useSession } from '../hooks/session';
import { signInPath } from './next-path';

/** Renders its children for a signed-in person; anyone else goes to the sign-in page, and comes back after. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();
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
  if (!session.data) return <Navigate to={signInPath(location.pathname + location.search)} replace />;
  return children;
}
