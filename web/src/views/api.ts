/**
 * Wire types and typed calls of the resources the views use (alerts lifecycle, events,
 * reports, face search, persons, watchlists, zones, rules, notification channels, system).
 * Every call goes through the shared client (bearer header, 401 → renew and retry once).
 */
import type { ApiClient } from "../api/client.ts";
import type { Alert, AlertPage, AlertStatus, Severity } from "../api/types.ts";

export interface AlertNote {
  id: number;
  alert_id: string;
  author: string;
  body: string;
  created_at: string;
}

export interface DeadLetter {
  id: string;
  alert_id: string | null;
  channel: string;
  recipient: string;
  kind: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface VigilEvent {
  id: string;
  occurred_at: string;
  camera_id: string;
  camera_name: string;
  type: string;
  severity: Severity;
  rule_id: string | null;
  zone_id: string | null;
  confidence: number | null;
  /** Normalised xyxy. */
  bbox: number[] | null;
  snapshot_url: string | null;
  data: Record<string, unknown>;
}

export interface EventPage {
  items: VigilEvent[];
  next_cursor: string | null;
}

export interface EventFilter {
  camera_id?: string | undefined;
  type?: string | undefined;
  severity?: Severity | "" | undefined;
  zone_id?: string | undefined;
  /** ISO-8601 with zone. */
  start?: string | undefined;
  end?: string | undefined;
  track_id?: number | undefined;
  /** Case-insensitive words in the type, rule, zone, camera name or details. */
  text?: string | undefined;
}

export interface DailyReport {
  day: string;
  timezone: string;
  start: string;
  end: string;
  events_total: number;
  events_by_camera: Record<string, number>;
  events_by_type: Record<string, number>;
  events_by_hour: number[];
  alerts_total: number;
  alerts_by_severity: Record<string, number>;
  alerts_acknowledged: number;
  ack_p50_s: number | null;
  ack_p90_s: number | null;
  ack_max_s: number | null;
  ack_within_goal_pct: number | null;
}

export interface Heatmap {
  camera_id: string;
  start: string;
  end: string;
  cols: number;
  rows: number;
  /** rows x cols, row 0 at the top. */
  cells: number[][];
  people: number;
  events: number;
  truncated: boolean;
}

export interface FaceMatch {
  id: string;
  camera_id: string;
  track_id: number | null;
  captured_at: string;
  similarity: number;
  quality: number | null;
  /** The enrolled person this face was matched to when it was stored. */
  person?: { id: string; name: string } | null;
}

export interface Person {
  id: string;
  name: string;
  notes: string | null;
  /** How many photos are enrolled. */
  photos: number;
  /** Photos embedded by an older face model: they match nothing until uploaded again. */
  photos_to_reenrol?: number;
  watchlists: { id: string; name: string }[];
  created_at: string;
  created_by: string;
}

export interface Watchlist {
  id: string;
  name: string;
  person_ids: string[];
  cameras: string[] | "*";
  severity: Severity;
  threshold: number;
  enabled: boolean;
}

export type WatchlistInput = Omit<Watchlist, "id">;

export type Point = [number, number];

export interface Zone {
  camera_id: string;
  id: string;
  name: string;
  /** Normalised [x, y], origin top-left. */
  polygon: Point[];
  criticality: "low" | "normal" | "high" | "critical";
  source: "config" | "api";
}

export type ZoneInput = Omit<Zone, "source">;

export const RULE_TYPES = [
  "zone_intrusion",
  "zone_enter",
  "zone_exit",
  "line_crossing",
  "loitering",
  "crowd",
  "abandoned_object",
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export interface Rule {
  id: string;
  name: string;
  type: RuleType;
  cameras: string[] | "*";
  zones: string[];
  classes: string[];
  schedule: string | null;
  severity: Severity;
  min_confidence: number;
  min_frames: number;
  clear_after_s: number;
  enabled: boolean;
  line?: [Point, Point] | null;
  direction?: "in" | "out" | "both";
  dwell_s?: number;
  min_people?: number;
  min_duration_s?: number;
  still_s?: number;
  cooldown_s?: number;
  /** Present in answers: why the analytics skip this rule, or null when it runs. */
  problem?: string | null;
  /** Present in answers: where the rule is defined. */
  source?: "config" | "api";
}

export interface Schedule {
  name: string;
  [key: string]: unknown;
}

export interface NotificationChannel {
  name: string;
  kind?: string;
  type?: string;
  enabled?: boolean;
  [key: string]: unknown;
}

export interface ChannelTestResult {
  delivered: boolean;
  detail: string;
}

export interface EdgeState {
  edge_id: string;
  status: "ONLINE" | "OFFLINE";
  last_contact: string;
  streams_online: number;
  disk_free_bytes: number;
  memory_used_percent: number;
}

export interface RecordingSegment {
  camera_id: string;
  key: string;
  start: string;
  end: string;
  duration_s: number;
  size_bytes: number;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

const id = encodeURIComponent;

/** Lists answered as a bare array or as `{items: [...]}` (either shape is accepted). */
function items<T>(body: T[] | { items: T[] }): T[] {
  return Array.isArray(body) ? body : body.items;
}

/** Typed calls of the views, over the shared client. */
export function viewsApi(api: ApiClient) {
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

    dailyReport: (day: string | null, signal?: AbortSignal) =>
      api.request<DailyReport>(`/api/v1/reports/daily${query({ day })}`, { signal }),
    heatmap: (cameraId: string, start: string, end: string, signal?: AbortSignal) =>
      api.request<Heatmap>(
        `/api/v1/reports/heatmap${query({ camera_id: cameraId, start, end, cols: 32, rows: 18 })}`,
        { signal },
      ),

    searchFaces: (image: Blob, filename: string) => {
      const form = new FormData();
      form.append("image", image, filename);
      return api.request<FaceMatch[]>("/api/v1/search/faces?limit=20", { method: "POST", form });
    },
    similarFaces: (embeddingId: string) =>
      api.request<FaceMatch[]>(`/api/v1/search/faces/${id(embeddingId)}?limit=20`),

    persons: async (signal?: AbortSignal) =>
      items(await api.request<Person[] | { items: Person[] }>("/api/v1/persons", { signal })),
    enrolPerson: (name: string, notes: string, photos: readonly File[]) => {
      const form = new FormData();
      form.append("name", name);
      if (notes.trim() !== "") form.append("notes", notes);
      for (const photo of photos) form.append("photos", photo, photo.name);
      return api.request<Person>("/api/v1/persons", { method: "POST", form });
    },
    deletePerson: (personId: string) =>
      api.requestNoContent(`/api/v1/persons/${id(personId)}`, { method: "DELETE" }),
    watchlists: async (signal?: AbortSignal) =>
      items(
        await api.request<Watchlist[] | { items: Watchlist[] }>("/api/v1/watchlists", { signal }),
      ),
    createWatchlist: (input: WatchlistInput) =>
      api.request<Watchlist>("/api/v1/watchlists", { method: "POST", body: input }),
    updateWatchlist: (watchlistId: string, input: WatchlistInput) =>
      api.request<Watchlist>(`/api/v1/watchlists/${id(watchlistId)}`, {
        method: "PUT",
        body: input,
      }),
    deleteWatchlist: (watchlistId: string) =>
      api.requestNoContent(`/api/v1/watchlists/${id(watchlistId)}`, { method: "DELETE" }),

    zones: async (cameraId: string | undefined, signal?: AbortSignal) =>
      items(
        await api.request<Zone[] | { items: Zone[] }>(
          `/api/v1/zones${query({ camera_id: cameraId })}`,
          { signal },
        ),
      ),
    createZone: (zone: ZoneInput) =>
      api.request<Zone>("/api/v1/zones", { method: "POST", body: zone }),
    updateZone: (zone: ZoneInput) =>
      api.request<Zone>(`/api/v1/zones/${id(zone.camera_id)}/${id(zone.id)}`, {
        method: "PUT",
        body: zone,
      }),
    deleteZone: (cameraId: string, zoneId: string) =>
      api.requestNoContent(`/api/v1/zones/${id(cameraId)}/${id(zoneId)}`, { method: "DELETE" }),
    rules: async (signal?: AbortSignal) =>
      items(await api.request<Rule[] | { items: Rule[] }>("/api/v1/rules", { signal })),
    createRule: (rule: Rule) => api.request<Rule>("/api/v1/rules", { method: "POST", body: rule }),
    updateRule: (rule: Rule) =>
      api.request<Rule>(`/api/v1/rules/${id(rule.id)}`, { method: "PUT", body: rule }),
    deleteRule: (ruleId: string) =>
      api.requestNoContent(`/api/v1/rules/${id(ruleId)}`, { method: "DELETE" }),
    validateRule: (rule: Rule) =>
      api.request<unknown>("/api/v1/rules/validate", { method: "POST", body: rule }),
    schedules: async (signal?: AbortSignal) =>
      schedulesOf(await api.request<unknown>("/api/v1/schedules", { signal })),
    channels: async (signal?: AbortSignal) =>
      items(
        await api.request<NotificationChannel[] | { items: NotificationChannel[] }>(
          "/api/v1/notifications/channels",
          { signal },
        ),
      ),
    testChannel: (name: string) =>
      api.request<ChannelTestResult>(`/api/v1/notifications/channels/${id(name)}/test`, {
        method: "POST",
      }),
    edges: (signal?: AbortSignal) => api.request<EdgeState[]>("/api/v1/system/edges", { signal }),
  };
}

export type ViewsApi = ReturnType<typeof viewsApi>;

/** `GET /schedules` as a list of names, whether it answers a list or a name → body map. */
export function schedulesOf(body: unknown): Schedule[] {
  if (Array.isArray(body)) {
    return body
      .map((item: unknown): Schedule | null => {
        if (typeof item === "string") return { name: item };
        if (typeof item === "object" && item !== null) {
          const record = item as Record<string, unknown>;
          const name = record.name ?? record.id;
          if (typeof name === "string") return { ...record, name };
        }
        return null;
      })
      .filter((s): s is Schedule => s !== null);
  }
  if (typeof body === "object" && body !== null) {
    const record = body as Record<string, unknown>;
    if (Array.isArray(record.items)) return schedulesOf(record.items);
    return Object.entries(record).map(([name, value]) =>
      typeof value === "object" && value !== null ? { ...value, name } : { name },
    );
  }
  return [];
}
