import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect } from 'react';
import { buildsQueryKey } from '../api/builds';
import { caseQueryKey } from '../api/portal';
import { reviewQueryKeys } from '../api/review';
import { awaitingApprovalQueryKey, changeQueryKey } from '../api/signature-changes';

/** The events of `GET /v1/events` the web app acts on (see the README's "Live updates"). */
export const LIVE_EVENT_TYPES = ['ready', 'resync', 'case.changed', 'change.changed', 'build.changed'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/**
 * What an event makes stale. The events say only what changed: the pages read it again through the API. `ready`
 * (a new stream: what happened before it was not sent) and `resync` (events were lost) make every case and every
 * signature change stale. A signature change (proposed, a step of its validation, validated, decided) makes that
 * change and the approvals inbox stale.
 */
export function staleQueries(type: LiveEventType, data: unknown): QueryKey[] {
  if (type === 'ready' || type === 'resync') {
    return [['cases'], reviewQueryKeys.all, ['signature-changes'], buildsQueryKey];
  }
  // a build's stage, progress or status: its page and the list read it again
  if (type === 'build.changed') return [buildsQueryKey];
  if (type === 'change.changed') {
    const changeId = (data as { changeId?: unknown } | null)?.changeId;
    return typeof changeId === 'string' ? [changeQueryKey(changeId), awaitingApprovalQueryKey] : [];
  }
  const caseId = (data as { caseId?: unknown } | null)?.caseId;
  if (typeof caseId !== 'string') return [];
  return [['cases', 'list'], caseQueryKey(caseId), reviewQueryKeys.queue, reviewQueryKeys.case(caseId)];
}

/**
 * The analysts' queue is read again at most this often, however many cases change: at a busy hour events come
 * several a second, and each read of a queue shown in full would otherwise follow each.
 */
export const QUEUE_REFRESH_MS = 1_000;

/**
 * `run` at once, then at most once per `everyMs`: calls in between make one more run at the end of the interval
 * (so the last change is always read).
 */
export function coalesced(run: () => void, everyMs: number): { call(): void; cancel(): void } {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call() {
      if (timer !== undefined) return;
      const wait = Math.max(0, last + everyMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        run();
      }, wait);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

const isQueueKey = (key: QueryKey) => key[0] === reviewQueryKeys.queue[0] && key[1] === reviewQueryKeys.queue[1];

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
    const queue = coalesced(
      () => void queryClient.invalidateQueries({ queryKey: reviewQueryKeys.queue }),
      QUEUE_REFRESH_MS,
    );
    for (const type of LIVE_EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        for (const queryKey of staleQueries(type, parse(message))) {
          if (isQueueKey(queryKey)) queue.call();
          else void queryClient.invalidateQueries({ queryKey });
        }
      });
    }
    return () => {
      queue.cancel();
      source.close();
    };
  }, [enabled, queryClient]);
}
