import type { BuildDetail, BuildList, BuildView, PublishedBuild } from '../../../../libs/builds/src/build-view.schema';
import { api, type ApiClient } from './client';

export type { BuildDetail, BuildList, BuildView, PublishedBuild };

/** Every query of builds starts with this key: a live `build.changed` event makes them all stale. */
export const buildsQueryKey = ['builds'] as const;

function channelQuery(channel: string | undefined, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams(extra);
  if (channel) query.set('channel', channel);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** `GET /v1/database-builds`: a page of a channel's builds, newest first. */
export function fetchBuilds(channel: string | undefined, cursor?: string, client: ApiClient = api): Promise<BuildList> {
  return client.get<BuildList>(`/v1/database-builds${channelQuery(channel, cursor ? { cursor } : {})}`);
}

/** `GET /v1/database-builds/:version`: the build with its proof, manifest, delta and downloads. */
export function fetchBuild(version: number, channel?: string, client: ApiClient = api): Promise<BuildDetail> {
  return client.get<BuildDetail>(`/v1/database-builds/${version}${channelQuery(channel)}`);
}

/** `POST /v1/database-builds/:version/publish`: the build becomes the channel's current release. */
export function publishBuild(version: number, channel?: string, client: ApiClient = api): Promise<PublishedBuild> {
  return client.post<PublishedBuild>(`/v1/database-builds/${version}/publish${channelQuery(channel)}`);
}

/** How far a running build's stage is, 0–100, when the stage counts files; null when it does not. */
export function stagePercent(progress: Record<string, unknown>): number | null {
  const files = progress.files;
  const scanned = progress.scanned;
  if (typeof files !== 'number' || typeof scanned !== 'number' || files <= 0) return null;
  return Math.min(100, Math.round((scanned / files) * 100));
}
