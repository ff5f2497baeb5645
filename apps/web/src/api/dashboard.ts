import type { DashboardOverview } from '../../../../libs/dashboard/src/dashboard-overview.schema';
import { api, type ApiClient } from './client';

export type { DashboardOverview };

/** `GET /v1/dashboard`: the last `days` days, counted in `timeZone`. */
export function fetchDashboard(days: number, timeZone: string, client: ApiClient = api): Promise<DashboardOverview> {
  const query = new URLSearchParams({ days: String(days), timeZone });
  return client.get<DashboardOverview>(`/v1/dashboard?${query.toString()}`);
}
