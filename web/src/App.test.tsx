import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App.tsx";
import type { Alert } from "./api/types.ts";
import {
  jsonResponse,
  LOGIN,
  makeAlert,
  makeCamera,
  makeDetection,
  MemoryStorage,
} from "./test/fixtures.ts";
import { renderWithServices, type FetchHandler } from "./test/render.tsx";
import { SilentWebSocket } from "./test/socket.ts";

/** Stands in for the browser WebSocket; tests drive it through `FakeWebSocket.last`. */
class FakeWebSocket extends SilentWebSocket {
  static instances: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (socket === undefined) throw new Error("no WebSocket opened");
    return socket;
  }
  constructor(url: string) {
    super(url);
    FakeWebSocket.instances.push(this);
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

  it("shows the server's unacknowledged count and re-reads it shortly after each push", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let unacknowledged = 7; // more than the first page lists
      const { fetchImpl } = renderWithServices(
        <App />,
        api({
          "/api/v1/alerts/counts": () =>
            jsonResponse(200, { new: unacknowledged, acknowledged: 2, resolved: 40 }),
        }),
        LOGIN,
      );
      await screen.findByText("Old alert");
      await waitFor(() => {
        expect(screen.getByTestId("unack-count")).toHaveTextContent(/^7$/);
      });
      const countFetches = () =>
        fetchImpl.mock.calls.filter(([path]) => path === "/api/v1/alerts/counts").length;
      const before = countFetches();

      FakeWebSocket.last.open();
      await act(() => vi.advanceTimersByTimeAsync(400)); // the reconnect re-reads too
      const afterOpen = countFetches();
      expect(afterOpen).toBe(before + 1);

      unacknowledged = 8;
      FakeWebSocket.last.push({ type: "alert.created", alert: NEW });
      FakeWebSocket.last.push({ type: "ping" });
      FakeWebSocket.last.push({ type: "alert.updated", alert: { ...NEW, title: "Fresh alert" } });
      expect(countFetches()).toBe(afterOpen); // not yet: bursts are coalesced
      await act(() => vi.advanceTimersByTimeAsync(300));
      await waitFor(() => {
        expect(screen.getByTestId("unack-count")).toHaveTextContent(/^8$/);
      });
      expect(countFetches()).toBe(afterOpen + 1);

      unacknowledged = 3; // acknowledged elsewhere, no push seen
      await act(() => vi.advanceTimersByTimeAsync(30_000));
      await waitFor(() => {
        expect(screen.getByTestId("unack-count")).toHaveTextContent(/^3$/);
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("renews a refused token and stays on the dashboard; the socket redials with the new one", async () => {
    let refreshes = 0;
    const base = api({
      "/api/v1/auth/refresh": () => {
        refreshes += 1;
        return jsonResponse(200, { ...LOGIN, access_token: "tok-2" });
      },
    });
    const { sessions } = renderWithServices(
      <App />,
      (url, init) =>
        new Headers(init.headers).get("Authorization") === "Bearer tok-1"
          ? jsonResponse(401, { detail: "Token expired" })
          : base(url, init),
      LOGIN,
    );
    const socket = FakeWebSocket.last;
    expect(socket.url).toContain("token=tok-1");
    expect(await screen.findByText("Old alert")).toBeInTheDocument();
    expect(await screen.findByTestId("camera-tile")).toBeInTheDocument();
    expect(sessions.token()).toBe("tok-2");
    expect(refreshes).toBe(1);
    expect(screen.queryByTestId("login-notice")).toBeNull();
    // The page was kept (not remounted for the new token): still the same socket.
    expect(FakeWebSocket.last).toBe(socket);

    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      socket.drop();
      await act(() => vi.advanceTimersByTimeAsync(1300));
      expect(FakeWebSocket.last).not.toBe(socket);
      expect(FakeWebSocket.last.url).toContain("token=tok-2");
    } finally {
      vi.useRealTimers();
    }
  });

  it("goes back to the login screen with a message when the token cannot be renewed", async () => {
    const { sessions } = renderWithServices(
      <App />,
      api({
        "/api/v1/cameras": () => jsonResponse(401, { detail: "Token expired" }),
        "/api/v1/auth/refresh": () => jsonResponse(401, { detail: "no refresh cookie" }),
      }),
      LOGIN,
    );
    expect(await screen.findByTestId("login-notice")).toHaveTextContent(
      "Session expired, sign in again",
    );
    expect(screen.getByTestId("login-username")).toHaveValue("night.guard");
    await waitFor(() => {
      expect(sessions.token()).toBeNull();
    });
  });

  it("on reload with an expired token, refreshes before showing the login screen", async () => {
    const storage = new MemoryStorage();
    storage.setItem(
      "vigil.session",
      JSON.stringify({ token: "tok-old", user: LOGIN.user, expiresAtMs: Date.now() - 1000 }),
    );
    let release: (r: Response) => void = () => undefined;
    const base = api();
    renderWithServices(
      <App />,
      (url, init) =>
        url === "/api/v1/auth/refresh"
          ? new Promise<Response>((resolve) => (release = resolve))
          : base(url, init),
      undefined,
      { storage },
    );
    expect(screen.getByText("Resuming your session…")).toBeInTheDocument();
    expect(screen.queryByTestId("login-submit")).toBeNull();
    release(jsonResponse(200, { ...LOGIN, access_token: "tok-2" }));
    expect(await screen.findByText("Old alert")).toBeInTheDocument();
    expect(FakeWebSocket.last.url).toContain("token=tok-2");
  });

  it("signing out clears the refresh cookie", async () => {
    const base = api();
    const { fetchImpl, sessions } = renderWithServices(
      <App />,
      (url, init) =>
        url === "/api/v1/auth/logout" ? new Response(null, { status: 204 }) : base(url, init),
      LOGIN,
    );
    await screen.findByText("Old alert");
    fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByTestId("login-submit")).toBeInTheDocument();
    expect(screen.queryByTestId("login-notice")).toBeNull();
    expect(sessions.token()).toBeNull();
    await waitFor(() => {
      expect(fetchImpl.mock.calls.some(([path]) => path === "/api/v1/auth/logout")).toBe(true);
    });
    const init = fetchImpl.mock.calls.find(([path]) => path === "/api/v1/auth/logout")?.[1];
    expect(init?.method).toBe("POST");
  });
});
