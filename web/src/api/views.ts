/**
 * The views' typed calls (alerts lifecycle, events, reports, face search, persons, watchlists,
 * zones, rules, notification channels, system), one object over the shared client (bearer
 * header, 401 → renew and retry once). Each domain's calls live in their own file here.
 */
import { alertCalls } from "./alerts.ts";
import type { ApiClient } from "./client.ts";
import { eventCalls } from "./events.ts";
import { faceCalls } from "./faces.ts";
import { reportCalls } from "./reports.ts";
import { siteCalls } from "./site.ts";

export function viewsApi(api: ApiClient) {
  return {
    ...alertCalls(api),
    ...eventCalls(api),
    ...reportCalls(api),
    ...faceCalls(api),
    ...siteCalls(api),
  };
}

export type ViewsApi = ReturnType<typeof viewsApi>;
