import { Navigate } from 'react-router';
import { PageLoader } from '../components/PageLoader';
import { useSession } from '../hooks/session';
import { homePathOf } from '../layouts/sections';

/** `/`: each role's own first page (a customer's cases, an analyst's queue, a release engineer's builds). */
export function HomeRedirect() {
  const { data: session } = useSession();
  if (!session) return <PageLoader />;
  return <Navigate to={homePathOf(session.user.role)} replace />;
}
