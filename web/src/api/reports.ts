/** Report calls of the analytics view: the daily report and a camera's heatmap. */
import type { ApiClient } from "./client.ts";
import { query } from "./query.ts";
import type { DailyReport, Heatmap } from "./types.ts";

export function reportCalls(api: ApiClient) {
  return {
    dailyReport: (day: string | null, signal?: AbortSignal) =>
      api.request<DailyReport>(`/api/v1/reports/daily${query({ day })}`, { signal }),
    heatmap: (cameraId: string, start: string, end: string, signal?: AbortSignal) =>
      api.request<Heatmap>(
        `/api/v1/reports/heatmap${query({ camera_id: cameraId, start, end, cols: 32, rows: 18 })}`,
        { signal },
      ),
  };
}
