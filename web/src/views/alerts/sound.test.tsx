import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { alertsReducer, initialAlertsState, type AlertsState } from "../../lib/alerts.ts";
import { makeAlert } from "../../test/fixtures.ts";
import { isMuted, setMuted, useCriticalAlertSound, useMuted } from "./sound.ts";

afterEach(() => {
  setMuted(false);
});

const loaded = alertsReducer(initialAlertsState, {
  type: "snapshot",
  items: [],
  hasMore: false,
  sinceSeq: 0,
});
const push = (state: AlertsState, id: string) =>
  alertsReducer(state, {
    type: "message",
    message: { type: "alert.created", alert: makeAlert({ id, severity: "critical" }) },
  });

describe("critical alert sound", () => {
  it("plays for a pushed critical alert unless muted; the mute is remembered", () => {
    const play = vi.fn();
    const { rerender } = renderHook(
      ({ state }) => {
        useCriticalAlertSound(state, play);
      },
      { initialProps: { state: loaded } },
    );
    const first = push(loaded, "c1");
    rerender({ state: first });
    expect(play).toHaveBeenCalledTimes(1);
    setMuted(true);
    expect(localStorage.getItem("vigil.alertSound.muted")).toBe("1");
    rerender({ state: push(first, "c2") });
    expect(play).toHaveBeenCalledTimes(1);
  });

  it("tells components when the mute changes", () => {
    const { result } = renderHook(() => useMuted());
    expect(result.current).toBe(false);
    act(() => {
      setMuted(true);
    });
    expect(result.current).toBe(true);
    expect(isMuted()).toBe(true);
  });
});
