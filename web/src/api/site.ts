/** Site settings: zones, rules, schedules, notification channels, edges. */
import type { ApiClient } from "./client.ts";
import { id, items, query } from "./query.ts";
import type {
  ChannelTestResult,
  EdgeState,
  NotificationChannel,
  Rule,
  RuleInput,
  Schedule,
  Zone,
  ZoneInput,
} from "./types.ts";

export function siteCalls(api: ApiClient) {
  return {
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
    createRule: (rule: RuleInput) =>
      api.request<Rule>("/api/v1/rules", { method: "POST", body: rule }),
    updateRule: (rule: RuleInput) =>
      api.request<Rule>(`/api/v1/rules/${id(rule.id)}`, { method: "PUT", body: rule }),
    deleteRule: (ruleId: string) =>
      api.requestNoContent(`/api/v1/rules/${id(ruleId)}`, { method: "DELETE" }),
    validateRule: (rule: RuleInput) =>
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
