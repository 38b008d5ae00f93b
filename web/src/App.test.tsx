import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App.tsx";
import type { Alert } from "./api/types.ts";
import { jsonResponse, LOGIN, makeAlert, makeCamera, makeDetection } from "./test/fixtures.ts";
import { renderWithServices, type FetchHandler } from "./test/render.tsx";

/** Stands in for the browser WebSocket; tests drive it through `FakeWebSocket.last`. */
class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (socket === undefined) throw new Error("no WebSocket opened");
    return socket;
  }
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }
  close(): void {
    // The real one fires close later; the client has detached by then.
  }
  open(): void {
    act(() => this.onopen?.(new Event("open")));
  }
  push(message: unknown): void {
    act(() => this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(message) })));
  }
  drop(): void {
    act(() => this.onclose?.(new CloseEvent("close", { code: 1006 })));
  }
}

const OLD = makeAlert({ id: "old", title: "Old alert", created_at: "2025-01-01T01:00:00Z" });
const NEW = makeAlert({ id: "new", title: "Fresh alert", created_at: "2025-01-01T03:00:00Z" });

function api(overrides: Partial<Record<string, () => Response>> = {}): FetchHandler {
  let alerts: Alert[] = [OLD];
  const routes: Record<string, () => Response> = {
    "/api/v1/cameras": () =>
      jsonResponse(200, [
        makeCamera({
          last_frame_at: new Date().toISOString(),
          detections: [makeDetection(), makeDetection({ class: "car" }), makeDetection()],
        }),
      ]),
    "/api/v1/alerts?status=new,acknowledged&limit=50": () =>
      jsonResponse(200, { items: alerts, next_cursor: null }),
    "/api/v1/system/health": () => jsonResponse(200, { status: "ok", components: {} }),
    ...overrides,
  };
  return (url) => {
    if (url === "/test/add-new") alerts = [NEW, OLD];
    const route = routes[url];
    if (route !== undefined) return route();
    if (url.endsWith("/snapshot"))
      return new Response("jpeg", { headers: { "Content-Type": "image/jpeg" } });
    return jsonResponse(404, { detail: "Not Found" });
  };
}

describe("App", () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
    vi.stubGlobal("WebSocket", FakeWebSocket);
    URL.createObjectURL = vi.fn(() => "blob:fake");
    URL.revokeObjectURL = vi.fn();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("shows the login screen when signed out", () => {
    renderWithServices(<App />, api());
    expect(screen.getByTestId("login-submit")).toBeInTheDocument();
  });

  it("shows cameras with people counts and live alerts", async () => {
    renderWithServices(<App />, api(), LOGIN);
    const tile = await screen.findByTestId("camera-tile");
    expect(tile).toHaveAttribute("data-camera-id", "cam-1");
    expect(tile).toHaveAttribute("data-status", "online");
    expect(within(tile).getByTestId("camera-detections-count")).toHaveTextContent("2");
    expect(await within(tile).findByAltText("Latest frame from Main gate")).toHaveAttribute(
      "src",
      "blob:fake",
    );
    expect(await screen.findByText("Old alert")).toBeInTheDocument();
    expect(screen.getByTestId("unack-count")).toHaveTextContent("1");
    expect(screen.getByText("night.guard")).toBeInTheDocument();

    const socket = FakeWebSocket.last;
    expect(socket.url).toBe("ws://localhost:3000/ws/alerts?token=tok-1");
    socket.open();
    expect(screen.getByTestId("ws-status")).toHaveAttribute("data-state", "open");

    socket.push({ type: "alert.created", alert: NEW });
    const items = screen.getAllByTestId("alert-item");
    expect(items.map((i) => i.getAttribute("data-alert-id"))).toEqual(["new", "old"]);
    expect(screen.getByTestId("unack-count")).toHaveTextContent("2");

    socket.push({
      type: "alert.updated",
      alert: { ...NEW, status: "acknowledged", acknowledged_by: "sam" },
    });
    expect(screen.getByTestId("unack-count")).toHaveTextContent("1");
    expect(screen.getAllByTestId("alert-item")[0]).toHaveAttribute("data-status", "acknowledged");
  });

  it("says live updates are paused while the socket is down and re-fetches on reconnect", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const handler = api();
      const { fetchImpl } = renderWithServices(<App />, handler, LOGIN);
      await screen.findByText("Old alert");
      FakeWebSocket.last.open();
      FakeWebSocket.last.drop();
      expect(screen.getByTestId("ws-status")).toHaveTextContent(
        "live updates paused — reconnecting",
      );
      void handler("/test/add-new", {}); // an alert raised while we were away
      await act(() => vi.advanceTimersByTimeAsync(1300));
      FakeWebSocket.last.open();
      expect(await screen.findByText("Fresh alert")).toBeInTheDocument();
      expect(screen.getByTestId("ws-status")).toHaveAttribute("data-state", "open");
      const alertFetches = fetchImpl.mock.calls.filter(([path]) => path.includes("alerts"));
      expect(alertFetches.length).toBeGreaterThanOrEqual(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("goes back to the login screen with a message on any 401", async () => {
    const { sessions } = renderWithServices(
      <App />,
      api({ "/api/v1/cameras": () => jsonResponse(401, { detail: "Token expired" }) }),
      LOGIN,
    );
    expect(await screen.findByText("Session expired, sign in again")).toBeInTheDocument();
    expect(screen.getByTestId("login-username")).toHaveValue("night.guard");
    await waitFor(() => {
      expect(sessions.token()).toBeNull();
    });
  });
});
