/** Alert lifecycle calls of the views: lists by status, assignment, notes, dead letters. */
import type { ApiClient } from "./client.ts";
import { id, query } from "./query.ts";
import type { Alert, AlertNote, AlertPage, AlertStatus, DeadLetter } from "./types.ts";

export function alertCalls(api: ApiClient) {
  return {
    alerts: (
      filter: { status: AlertStatus[]; camera_id?: string | undefined; cursor?: string | null },
      signal?: AbortSignal,
    ) =>
      api.request<AlertPage>(
        `/api/v1/alerts${query({
          status: filter.status.join(","),
          camera_id: filter.camera_id,
          cursor: filter.cursor,
          limit: 50,
        })}`,
        { signal },
      ),
    assign: (alertId: string, username: string | null) =>
      api.request<Alert>(`/api/v1/alerts/${id(alertId)}/assign`, {
        method: "POST",
        body: { username },
      }),
    notes: (alertId: string, signal?: AbortSignal) =>
      api.request<AlertNote[]>(`/api/v1/alerts/${id(alertId)}/notes`, { signal }),
    addNote: (alertId: string, body: string) =>
      api.request<AlertNote>(`/api/v1/alerts/${id(alertId)}/notes`, {
        method: "POST",
        body: { body },
      }),
    deadLetters: (signal?: AbortSignal) =>
      api.request<DeadLetter[]>("/api/v1/alerts/dead-letters?limit=100", { signal }),
  };
}
