import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { fetchSession, sessionEndedQueryKey, sessionQueryKey, signedOutQueryKey, type Session } from '../api/session';

export const sessionQuery = queryOptions({
  queryKey: sessionQueryKey,
  queryFn: () => fetchSession(),
  staleTime: 60_000,
});

/** The current session: `data` is null when nobody is signed in. */
export function useSession() {
  return useQuery(sessionQuery);
}

/** A session just started on this page (signed in, or an invitation accepted). */
export function rememberSession(queryClient: QueryClient, session: Session): void {
  queryClient.setQueryData(sessionEndedQueryKey, false);
  queryClient.setQueryData(signedOutQueryKey, false);
  queryClient.setQueryData(sessionQuery.queryKey, session);
}

/**
 * The person signed out on this page: the session and everything read with it are forgotten. Marked as a sign-out
 * first, so the page the person left does not become the sign-in page's `next` (signing in again starts afresh).
 */
export function forgetSession(queryClient: QueryClient): void {
  queryClient.setQueryData(signedOutQueryKey, true);
  queryClient.setQueryData(sessionQueryKey, null);
  queryClient.removeQueries({
    predicate: (query) => query.queryKey[0] !== sessionQueryKey[0] && query.queryKey[0] !== signedOutQueryKey[0],
  });
}
