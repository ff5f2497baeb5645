import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect } from 'react';
import { caseQueryKey } from '../api/portal';
import { awaitingApprovalQueryKey, changeQueryKey } from '../api/signature-changes';

/** The events of `GET /v1/events` the web app acts on (see the README's "Live updates"). */
export const LIVE_EVENT_TYPES = ['ready', 'resync', 'case.changed', 'change.changed'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/**
 * What an event makes stale. The events say only what changed: the pages read it again through the API. `ready`
 * (a new stream: what happened before it was not sent) and `resync` (events were lost) make every case and every
 * signature change stale. A signature change (proposed, a step of its validation, validated, decided) makes that
 * change and the approvals inbox stale.
 */
export function staleQueries(type: LiveEventType, data: unknown): QueryKey[] {
  if (type === 'ready' || type === 'resync') return [['cases'], ['signature-changes']];
  if (type === 'change.changed') {
    const changeId = (data as { changeId?: unknown } | null)?.changeId;
    return typeof changeId === 'string' ? [changeQueryKey(changeId), awaitingApprovalQueryKey] : [];
  }
  const caseId = (data as { caseId?: unknown } | null)?.caseId;
  if (typeof caseId !== 'string') return [];
  return [['cases', 'list'], caseQueryKey(caseId)];
}

/** Reads the event's JSON, or nothing for an event this app does not understand. */
function parse(message: MessageEvent): unknown {
  try {
    return JSON.parse(String(message.data)) as unknown;
  } catch {
    return null;
  }
}

/**
 * One stream of live updates while someone is signed in: pages showing a case or the list refresh by themselves
 * when it changes. The browser's EventSource reconnects by itself (the server ends a stream every few minutes, and
 * when it stops), sending the session cookie again.
 */
export function useLiveUpdates(enabled: boolean): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/v1/events');
    for (const type of LIVE_EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        for (const queryKey of staleQueries(type, parse(message))) void queryClient.invalidateQueries({ queryKey });
      });
    }
    return () => source.close();
  }, [enabled, queryClient]);
}
