/** Event and recording calls of the views (the events list, day timelines). */
import type { ApiClient } from "./client.ts";
import { id, query } from "./query.ts";
import type { EventFilter, EventPage, RecordingSegment, VigilEvent } from "./types.ts";

export function eventCalls(api: ApiClient) {
  return {
    events: (filter: EventFilter, cursor: string | null, signal?: AbortSignal, limit = 30) =>
      api.request<EventPage>(`/api/v1/events${query({ ...filter, cursor, limit })}`, {
        signal,
      }),
    event: (eventId: string, signal?: AbortSignal) =>
      api.request<VigilEvent>(`/api/v1/events/${id(eventId)}`, { signal }),
    recordings: (cameraId: string, start: string, end: string, signal?: AbortSignal) =>
      api.request<RecordingSegment[]>(
        `/api/v1/recordings${query({ camera_id: cameraId, start, end })}`,
        { signal },
      ),
  };
}
