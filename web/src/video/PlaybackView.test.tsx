import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import type { Camera } from "../api/types.ts";
import { LOGIN, makeCamera } from "../test/fixtures.ts";
import { renderWithServices } from "../test/render.tsx";
import type { PlaybackRequest } from "./navigation.ts";
import { PlaybackView, fromLocalInput, toLocalInput } from "./PlaybackView.tsx";

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const CAMERAS = [
  makeCamera({ id: "gate", name: "Main gate" }),
  makeCamera({ id: "yard", name: "Yard", channel: 2 }),
];
const REQUEST: PlaybackRequest = {
  cameraId: "yard",
  startMs: T0,
  endMs: T0 + 300_000,
  seekMs: T0 + 60_000,
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function api(calls: string[]) {
  return (url: string) => {
    calls.push(url);
    if (url.startsWith("/api/v1/recordings?")) {
      return json([
        {
          camera_id: "yard",
          start: "2026-11-29T12:00:00Z",
          end: "2026-11-29T12:00:10Z",
          duration_s: 10,
        },
        {
          camera_id: "yard",
          start: "2026-11-29T12:00:10Z",
          end: "2026-11-29T12:01:00Z",
          duration_s: 50,
        },
      ]);
    }
    if (url.startsWith("/api/v1/events?")) {
      return json({
        items: [
          {
            id: "ev",
            occurred_at: "2026-11-29T12:00:30Z",
            camera_id: "yard",
            type: "person",
            severity: "high",
          },
        ],
        next_cursor: null,
      });
    }
    return json({ detail: "not found" }, 404);
  };
}

describe("PlaybackView", () => {
  it("shows the requested window's coverage and events, and asks for exactly that window", async () => {
    const calls: string[] = [];
    renderWithServices(
      <PlaybackView cameras={CAMERAS} request={REQUEST} onRequest={vi.fn()} canExport />,
      api(calls),
      LOGIN,
    );
    expect(await screen.findAllByTestId("timeline-covered")).toHaveLength(1);
    expect(screen.getByTestId("timeline")).toHaveAttribute("data-coverage", "0.2000");
    expect(screen.getAllByTestId("timeline-event")).toHaveLength(1);
    expect(screen.getByTestId("playback-camera")).toHaveValue("yard");
    const params = new URLSearchParams(
      calls.find((u) => u.startsWith("/api/v1/recordings?"))?.split("?")[1],
    );
    expect(Object.fromEntries(params)).toEqual({
      camera_id: "yard",
      start: "2026-11-29T12:00:00.000Z",
      end: "2026-11-29T12:05:00.000Z",
    });
    expect(screen.getByTestId("export-panel")).toBeInTheDocument();
  });

  it("plays the first camera's last five minutes once the camera list arrives", async () => {
    const user = userEvent.setup();
    function Harness() {
      const [cameras, setCameras] = useState<Camera[] | undefined>(undefined);
      return (
        <>
          <button
            type="button"
            onClick={() => {
              setCameras(CAMERAS);
            }}
          >
            load
          </button>
          <PlaybackView cameras={cameras} request={null} onRequest={vi.fn()} canExport={false} />
        </>
      );
    }
    renderWithServices(<Harness />, api([]), LOGIN);
    expect(screen.getByText("Loading cameras…")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "load" }));
    expect(await screen.findByTestId("playback-camera")).toHaveValue("gate");
    const start = fromLocalInput(screen.getByTestId<HTMLInputElement>("playback-start").value);
    const end = fromLocalInput(screen.getByTestId<HTMLInputElement>("playback-end").value);
    expect(end - start).toBeGreaterThanOrEqual(299_000);
    expect(end - start).toBeLessThanOrEqual(301_000);
    // Viewers watch; they cannot export.
    expect(screen.queryByTestId("export-panel")).not.toBeInTheDocument();
  });

  it("checks the times before asking for them", async () => {
    const user = userEvent.setup();
    const onRequest = vi.fn();
    renderWithServices(
      <PlaybackView cameras={CAMERAS} request={REQUEST} onRequest={onRequest} canExport />,
      api([]),
      LOGIN,
    );
    const end = screen.getByTestId("playback-end");
    await user.clear(end);
    await user.type(end, toLocalInput(T0 - 60_000));
    expect(screen.getByText("To must be after From.")).toHaveAttribute("role", "alert");
    expect(screen.getByTestId("playback-show")).toBeDisabled();

    await user.clear(end);
    await user.type(end, toLocalInput(T0 + 600_000));
    await user.click(screen.getByTestId("playback-show"));
    expect(onRequest).toHaveBeenCalledWith({
      cameraId: "yard",
      startMs: T0,
      endMs: T0 + 600_000,
      seekMs: T0,
    });
  });
});
