import { describe, expect, it } from "vitest";
import type { Alert } from "../api/types.ts";
import { makeAlert } from "../test/fixtures.ts";
import {
  alertsReducer,
  initialAlertsState,
  MAX_ALERT_ENTRIES,
  parseSocketMessage,
  unacknowledgedCount,
  type AlertsAction,
  type AlertsState,
} from "./alerts.ts";

const at = (minute: number) => `2025-01-01T02:${String(minute).padStart(2, "0")}:00Z`;
const A = makeAlert({ id: "A", created_at: at(1) });
const B = makeAlert({ id: "B", created_at: at(2) });
const C = makeAlert({ id: "C", created_at: at(3) });

const run = (actions: AlertsAction[], state: AlertsState = initialAlertsState) =>
  actions.reduce(alertsReducer, state);
const ids = (state: AlertsState) => state.entries.map((e) => e.alert.id);
const created = (alert: Alert): AlertsAction => ({
  type: "message",
  message: { type: "alert.created", alert },
});
const updated = (alert: Alert): AlertsAction => ({
  type: "message",
  message: { type: "alert.updated", alert },
});
const snapshot = (items: Alert[], sinceSeq = 0): Extract<AlertsAction, { type: "snapshot" }> => ({
  type: "snapshot",
  items,
  hasMore: false,
  sinceSeq,
});

describe("alertsReducer", () => {
  it("orders a snapshot newest first and does not highlight the first load", () => {
    const state = run([snapshot([A, C, B])]);
    expect(ids(state)).toEqual(["C", "B", "A"]);
    expect(state.loaded).toBe(true);
    expect(state.entries.every((e) => !e.fresh)).toBe(true);
  });

  it("puts a created alert at the top and highlights it", () => {
    const state = run([snapshot([A, B]), created(C)]);
    expect(ids(state)).toEqual(["C", "B", "A"]);
    expect(state.entries[0]?.fresh).toBe(true);
  });

  it("keeps newest-first order when pushes arrive out of order", () => {
    const state = run([snapshot([]), created(B), created(C), created(A)]);
    expect(ids(state)).toEqual(["C", "B", "A"]);
  });

  it("dedups by id: a repeated created message does not add a second entry", () => {
    const state = run([snapshot([A]), created(A), created(A)]);
    expect(ids(state)).toEqual(["A"]);
  });

  it("applies an update in place", () => {
    const acked = { ...A, status: "acknowledged" as const, acknowledged_by: "sam" };
    const state = run([snapshot([A, B]), updated(acked)]);
    expect(ids(state)).toEqual(["B", "A"]);
    expect(state.entries[1]?.alert.acknowledged_by).toBe("sam");
    expect(unacknowledgedCount(state)).toBe(1);
  });

  it("never moves an alert back to an earlier status (late duplicate)", () => {
    const acked = { ...A, status: "acknowledged" as const };
    const state = run([snapshot([A]), updated(acked), created(A)]);
    expect(state.entries[0]?.alert.status).toBe("acknowledged");
  });

  it("ignores an update for an unknown alert that is already resolved", () => {
    const state = run([snapshot([A]), updated({ ...B, status: "resolved" })]);
    expect(ids(state)).toEqual(["A"]);
  });

  it("adds an update for an unknown open alert (the created push was missed)", () => {
    const state = run([snapshot([A]), updated(B)]);
    expect(ids(state)).toEqual(["B", "A"]);
  });

  it("keeps a resolved alert visible until the next snapshot drops it", () => {
    const resolved = { ...A, status: "resolved" as const };
    const withResolved = run([snapshot([A, B]), updated(resolved)]);
    expect(withResolved.entries.find((e) => e.alert.id === "A")?.alert.status).toBe("resolved");
    const next = alertsReducer(withResolved, snapshot([B], withResolved.seq));
    expect(ids(next)).toEqual(["B"]);
  });

  it("a snapshot keeps alerts pushed while it was in flight", () => {
    const loaded = run([snapshot([A])]);
    const sinceSeq = loaded.seq; // request starts here
    const pushed = alertsReducer(loaded, created(C)); // push lands before the response
    const state = alertsReducer(pushed, snapshot([A, B], sinceSeq));
    expect(ids(state)).toEqual(["C", "B", "A"]);
  });

  it("a snapshot does not undo an acknowledgement pushed while it was in flight", () => {
    const loaded = run([snapshot([A])]);
    const sinceSeq = loaded.seq;
    const pushed = alertsReducer(loaded, updated({ ...A, status: "acknowledged" }));
    const state = alertsReducer(pushed, snapshot([A], sinceSeq));
    expect(state.entries[0]?.alert.status).toBe("acknowledged");
  });

  it("highlights alerts first seen in a re-fetch (missed while disconnected)", () => {
    const state = run([snapshot([A]), snapshot([A, B])]);
    expect(state.entries.find((e) => e.alert.id === "B")?.fresh).toBe(true);
    expect(state.entries.find((e) => e.alert.id === "A")?.fresh).toBe(false);
  });

  it("caps the list so a night-long session stays small", () => {
    const many = Array.from({ length: MAX_ALERT_ENTRIES + 10 }, (_, i) =>
      makeAlert({ id: `x${i}`, created_at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() }),
    );
    const state = run([snapshot([]), ...many.map(created)]);
    expect(state.entries).toHaveLength(MAX_ALERT_ENTRIES);
    expect(state.entries[0]?.alert.id).toBe(`x${MAX_ALERT_ENTRIES + 9}`);
  });

  it("ignores pings", () => {
    const state = run([snapshot([A])]);
    expect(alertsReducer(state, { type: "message", message: { type: "ping" } })).toBe(state);
  });

  it("records the server's page flag", () => {
    const state = alertsReducer(initialAlertsState, { ...snapshot([A]), hasMore: true });
    expect(state.hasMore).toBe(true);
  });
});

describe("parseSocketMessage", () => {
  it("parses created, updated and ping", () => {
    expect(parseSocketMessage(JSON.stringify({ type: "alert.created", alert: A }))).toEqual({
      type: "alert.created",
      alert: A,
    });
    expect(parseSocketMessage(JSON.stringify({ type: "alert.updated", alert: A }))?.type).toBe(
      "alert.updated",
    );
    expect(parseSocketMessage('{"type":"ping"}')).toEqual({ type: "ping" });
  });

  it.each([
    ["not json", "{"],
    ["unknown type", '{"type":"camera.updated"}'],
    ["alert missing", '{"type":"alert.created"}'],
    ["bad alert", '{"type":"alert.created","alert":{"id":1}}'],
    ["unknown status", JSON.stringify({ type: "alert.created", alert: { ...A, status: "x" } })],
    ["binary frame", new ArrayBuffer(2)],
  ])("rejects %s", (_, data) => {
    expect(parseSocketMessage(data)).toBeNull();
  });
});
