import type { Alert, AlertSocketMessage, AlertStatus } from "../api/types.ts";

/**
 * The alert list shown to the operator: the server's open alerts merged with
 * what the WebSocket pushed, newest first, one entry per alert id.
 *
 * Each change is numbered (`seq`). A snapshot (GET /alerts) carries the `seq`
 * at which its request started, so entries pushed while it was in flight are
 * kept even though the snapshot does not list them, while entries the server
 * no longer lists (resolved, or past the first page) are dropped.
 */
export interface AlertEntry {
  alert: Alert;
  /** `seq` of the change that last wrote this entry. */
  seq: number;
  /** Arrived after the first load: highlight it. */
  fresh: boolean;
}

export interface AlertsState {
  entries: AlertEntry[];
  seq: number;
  loaded: boolean;
  /** The server has more open alerts than the first page holds. */
  hasMore: boolean;
}

export type AlertsAction =
  | { type: "snapshot"; items: readonly Alert[]; hasMore: boolean; sinceSeq: number }
  | { type: "message"; message: AlertSocketMessage }
  | { type: "upsert"; alert: Alert }
  | { type: "reset" };

/** Entries kept at most; the oldest beyond this are dropped so a night-long tab stays small. */
export const MAX_ALERT_ENTRIES = 200;

export const initialAlertsState: AlertsState = {
  entries: [],
  seq: 0,
  loaded: false,
  hasMore: false,
};

const STATUS_RANK: Record<AlertStatus, number> = { new: 0, acknowledged: 1, resolved: 2 };

/** Alerts only move forward (new → acknowledged → resolved), so the further one is newer. */
function newerOf(current: Alert, incoming: Alert): Alert {
  return STATUS_RANK[incoming.status] >= STATUS_RANK[current.status] ? incoming : current;
}

function createdMs(alert: Alert): number {
  const ms = Date.parse(alert.created_at);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Newest first; ties broken by id so the order is stable. */
export function compareNewestFirst(a: Alert, b: Alert): number {
  return createdMs(b) - createdMs(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function finish(state: AlertsState, byId: Map<string, AlertEntry>, patch: Partial<AlertsState>) {
  const entries = [...byId.values()]
    .sort((a, b) => compareNewestFirst(a.alert, b.alert))
    .slice(0, MAX_ALERT_ENTRIES);
  return { ...state, ...patch, entries };
}

function upsert(state: AlertsState, alert: Alert, created: boolean): AlertsState {
  const seq = state.seq + 1;
  const byId = new Map(state.entries.map((e) => [e.alert.id, e]));
  const existing = byId.get(alert.id);
  if (existing !== undefined) {
    const merged = newerOf(existing.alert, alert);
    if (merged === existing.alert) return state;
    byId.set(alert.id, { ...existing, alert: merged, seq });
  } else {
    // An update for an alert we never listed that is already closed: nothing to show.
    if (!created && alert.status === "resolved") return state;
    byId.set(alert.id, { alert, seq, fresh: true });
  }
  return finish(state, byId, { seq });
}

function snapshot(
  state: AlertsState,
  items: readonly Alert[],
  hasMore: boolean,
  sinceSeq: number,
): AlertsState {
  const seq = state.seq + 1;
  const previous = new Map(state.entries.map((e) => [e.alert.id, e]));
  const byId = new Map<string, AlertEntry>();
  for (const alert of items) {
    const local = previous.get(alert.id);
    if (local === undefined) {
      byId.set(alert.id, { alert, seq, fresh: state.loaded });
    } else {
      // A push that arrived after the request started may be newer than the snapshot.
      const pushedSince = local.seq > sinceSeq;
      const merged = pushedSince ? newerOf(alert, local.alert) : newerOf(local.alert, alert);
      byId.set(alert.id, { ...local, alert: merged, seq: pushedSince ? local.seq : seq });
    }
  }
  for (const local of previous.values()) {
    if (!byId.has(local.alert.id) && local.seq > sinceSeq) byId.set(local.alert.id, local);
  }
  return finish(state, byId, { seq, loaded: true, hasMore });
}

export function alertsReducer(state: AlertsState, action: AlertsAction): AlertsState {
  switch (action.type) {
    case "snapshot":
      return snapshot(state, action.items, action.hasMore, action.sinceSeq);
    case "message":
      if (action.message.type === "ping") return state;
      return upsert(state, action.message.alert, action.message.type === "alert.created");
    case "upsert":
      return upsert(state, action.alert, false);
    case "reset":
      return initialAlertsState;
  }
}

export function unacknowledgedCount(state: AlertsState): number {
  return state.entries.filter((e) => e.alert.status === "new").length;
}

function isAlert(value: unknown): value is Alert {
  if (typeof value !== "object" || value === null) return false;
  const a = value as Partial<Alert>;
  return (
    typeof a.id === "string" &&
    typeof a.created_at === "string" &&
    typeof a.status === "string" &&
    a.status in STATUS_RANK
  );
}

/** Parses one WebSocket text frame; null for anything this dashboard does not understand. */
export function parseSocketMessage(data: unknown): AlertSocketMessage | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || !("type" in value)) return null;
  if (value.type === "ping") return { type: "ping" };
  if (
    (value.type === "alert.created" || value.type === "alert.updated") &&
    "alert" in value &&
    isAlert(value.alert)
  ) {
    return { type: value.type, alert: value.alert };
  }
  return null;
}
