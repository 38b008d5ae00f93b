import { describe, expect, it } from "vitest";
import type { Alert } from "../../api/types.ts";
import { alertsReducer, initialAlertsState, type AlertsState } from "../../lib/alerts.ts";
import { makeAlert } from "../../test/fixtures.ts";
import { criticalArrivals, DEFAULT_FILTER, filterEntries, matchesFilter } from "./filter.ts";

const entries = [
  makeAlert({ id: "a", camera_id: "gate", severity: "critical", status: "new" }),
  makeAlert({ id: "b", camera_id: "gate", severity: "low", status: "acknowledged" }),
  makeAlert({ id: "c", camera_id: "yard", severity: "high", status: "new" }),
  makeAlert({ id: "d", camera_id: "yard", severity: "critical", status: "resolved" }),
].map((alert) => ({ alert, seq: 1, fresh: false }));

const ids = (filter: Parameters<typeof filterEntries>[1]) =>
  filterEntries(entries, filter).map((e) => e.alert.id);

describe("alert filter", () => {
  it("shows open alerts of every camera and severity by default", () => {
    expect(ids(DEFAULT_FILTER)).toEqual(["a", "b", "c"]);
  });

  it.each([
    [{ camera: "gate" }, ["a", "b"]],
    [{ severities: ["critical" as const] }, ["a"]],
    [{ severities: ["critical" as const, "high" as const] }, ["a", "c"]],
    [{ status: "new" as const }, ["a", "c"]],
    [{ status: "acknowledged" as const }, ["b"]],
    [{ status: "resolved" as const }, ["d"]],
    [{ camera: "yard", status: "resolved" as const, severities: ["critical" as const] }, ["d"]],
    [{ camera: "nowhere" }, []],
  ])("%j → %j", (patch, expected) => {
    expect(ids({ ...DEFAULT_FILTER, ...patch })).toEqual(expected);
  });

  it("treats a severity the dashboard does not know as not matching a chosen one", () => {
    const odd = { camera_id: "gate", severity: "apocalyptic", status: "new" };
    expect(matchesFilter(odd, DEFAULT_FILTER)).toBe(true);
    expect(matchesFilter(odd, { ...DEFAULT_FILTER, severities: ["critical"] })).toBe(false);
  });
});

describe("criticalArrivals", () => {
  const created = (alert: Alert) => ({
    type: "message" as const,
    message: { type: "alert.created" as const, alert },
  });
  const loaded: AlertsState = alertsReducer(initialAlertsState, {
    type: "snapshot",
    items: [makeAlert({ id: "old", severity: "critical" })],
    hasMore: false,
    sinceSeq: 0,
  });

  it("sounds once for each pushed critical alert, never for ones open at load", () => {
    const heard = new Set<string>();
    expect(criticalArrivals(initialAlertsState, loaded, heard)).toEqual([]);
    const pushed = alertsReducer(loaded, created(makeAlert({ id: "new1", severity: "critical" })));
    expect(criticalArrivals(loaded, pushed, heard)).toEqual(["new1"]);
    // The same alert updated (or merged again by a resync) does not sound twice.
    const again = alertsReducer(pushed, created(makeAlert({ id: "minor", severity: "low" })));
    expect(criticalArrivals(pushed, again, heard)).toEqual([]);
  });

  it("stays quiet for pushed alerts that are not critical or already acknowledged", () => {
    const heard = new Set<string>();
    const pushed = alertsReducer(
      loaded,
      created(makeAlert({ id: "x", severity: "critical", status: "acknowledged" })),
    );
    expect(criticalArrivals(loaded, pushed, heard)).toEqual([]);
  });
});
