import { queryOptions, useQuery } from '@tanstack/react-query';
import { fetchSession, sessionQueryKey } from '../api/session';

export const sessionQuery = queryOptions({
  queryKey: sessionQueryKey,
  queryFn: () => fetchSession(),
  staleTime: 60_000,
});

/** The current session: `data` is null when nobody is signed in. */
export function useSession() {
  return useQuery(sessionQuery);
}
