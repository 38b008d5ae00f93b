import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, SessionExpiredError } from "../api/client.ts";
import type { LoginResponse } from "../api/types.ts";
import { createServices } from "../services.ts";
import { jsonResponse, LOGIN, MemoryStorage } from "../test/fixtures.ts";
import { SESSION_EXPIRED_NOTICE } from "./session.ts";

const REFRESHED: LoginResponse = { ...LOGIN, access_token: "tok-2" };

/** A server whose only good token is `valid`; `/auth/refresh` answers with `refresh()`. */
function fakeServer(refresh: () => Response | Promise<Response>) {
  const server = { valid: "tok-2", refreshCalls: 0, logoutCalls: 0 };
  const fetchImpl = vi.fn(async (path: string, init: RequestInit): Promise<Response> => {
    await Promise.resolve();
    if (path === "/api/v1/auth/refresh") {
      server.refreshCalls += 1;
      return refresh();
    }
    if (path === "/api/v1/auth/logout") {
      server.logoutCalls += 1;
      return new Response(null, { status: 204 });
    }
    const auth = new Headers(init.headers).get("Authorization");
    return auth === `Bearer ${server.valid}`
      ? jsonResponse(200, [])
      : jsonResponse(401, { detail: "Token expired" });
  });
  return { server, fetchImpl };
}

function authHeaders(fetchImpl: ReturnType<typeof fakeServer>["fetchImpl"], path: string) {
  return fetchImpl.mock.calls
    .filter(([p]) => p === path)
    .map(([, init]) => new Headers(init.headers).get("Authorization"));
}

describe("renewal on 401", () => {
  it("shares one refresh between concurrent 401s and retries each request once", async () => {
    let release: (r: Response) => void = () => undefined;
    const { server, fetchImpl } = fakeServer(
      () => new Promise<Response>((resolve) => (release = resolve)),
    );
    const { api, sessions } = createServices({ storage: null, fetchImpl });
    sessions.signIn(LOGIN);

    const calls = [api.cameras(), api.health(), api.openAlerts()];
    await vi.waitFor(() => {
      expect(server.refreshCalls).toBe(1);
    });
    // Every request has been refused by now; they all wait on the same refresh.
    await new Promise((r) => setTimeout(r, 0));
    expect(fetchImpl.mock.calls.filter(([p]) => !p.includes("/auth/"))).toHaveLength(3);
    release(jsonResponse(200, REFRESHED));

    await expect(Promise.all(calls)).resolves.toHaveLength(3);
    expect(server.refreshCalls).toBe(1);
    expect(sessions.token()).toBe("tok-2");
    expect(authHeaders(fetchImpl, "/api/v1/cameras")).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(authHeaders(fetchImpl, "/api/v1/system/health")).toEqual([
      "Bearer tok-1",
      "Bearer tok-2",
    ]);
  });

  it("a 401 for a token already replaced retries without refreshing again", async () => {
    const { server, fetchImpl } = fakeServer(() => jsonResponse(200, REFRESHED));
    const { api, sessions, auth } = createServices({ storage: null, fetchImpl });
    sessions.signIn(LOGIN);
    await api.cameras(); // refreshes to tok-2
    expect(await auth.renew("tok-1")).toBe(true);
    expect(server.refreshCalls).toBe(1);
  });

  it("signs out with the notice when the refresh is refused, once for all requests", async () => {
    const { server, fetchImpl } = fakeServer(() =>
      jsonResponse(401, { detail: "no refresh cookie; sign in again" }),
    );
    const { api, sessions } = createServices({ storage: new MemoryStorage(), fetchImpl });
    sessions.signIn(LOGIN);
    const results = await Promise.allSettled([api.cameras(), api.health()]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(SessionExpiredError);
    }
    expect(server.refreshCalls).toBe(1);
    expect(sessions.getSnapshot()).toMatchObject({
      session: null,
      notice: SESSION_EXPIRED_NOTICE,
      lastUsername: "night.guard",
    });
    // Never retried: one refused call each.
    expect(fetchImpl.mock.calls.filter(([p]) => !p.includes("/auth/"))).toHaveLength(2);
  });

  it("signs out when even the refreshed token is refused", async () => {
    const { server, fetchImpl } = fakeServer(() => jsonResponse(200, REFRESHED));
    server.valid = "nothing";
    const { api, sessions } = createServices({ storage: null, fetchImpl });
    sessions.signIn(LOGIN);
    await expect(api.cameras()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(authHeaders(fetchImpl, "/api/v1/cameras")).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(sessions.getSnapshot().notice).toBe(SESSION_EXPIRED_NOTICE);
  });

  it("keeps the session when the server cannot be reached for the refresh", async () => {
    const { fetchImpl } = fakeServer(() => jsonResponse(503, { detail: "starting up" }));
    const { api, sessions } = createServices({ storage: null, fetchImpl });
    sessions.signIn(LOGIN);
    await expect(api.cameras()).rejects.toMatchObject({ status: 503 });
    expect(sessions.token()).toBe("tok-1");
  });
});

describe("proactive refresh", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("refreshes 60 s before the token runs out, then again for the new token", async () => {
    let issued = 1;
    const { server, fetchImpl } = fakeServer(() =>
      jsonResponse(200, { ...LOGIN, access_token: `tok-${++issued}` }),
    );
    const { sessions, auth } = createServices({ storage: null, fetchImpl });
    auth.start();
    sessions.signIn(LOGIN); // expires_in 900 s

    await vi.advanceTimersByTimeAsync(839_999);
    expect(server.refreshCalls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.refreshCalls).toBe(1);
    expect(sessions.token()).toBe("tok-2");
    expect(sessions.getSnapshot().session?.expiresAtMs).toBe(840_000 + 900_000);

    await vi.advanceTimersByTimeAsync(840_000);
    expect(server.refreshCalls).toBe(2);
    expect(sessions.token()).toBe("tok-3");
    auth.stop();
  });

  it("retries every 10 s while the server is unreachable, until the token runs out", async () => {
    const { server, fetchImpl } = fakeServer(() => {
      throw new TypeError("Failed to fetch");
    });
    const { sessions, auth } = createServices({ storage: null, fetchImpl });
    auth.start();
    sessions.signIn(LOGIN);
    await vi.advanceTimersByTimeAsync(840_000);
    expect(server.refreshCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.refreshCalls).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    // Tries at 860, 870, 880 and 890 s; the next would come after the token ran out (900 s).
    expect(server.refreshCalls).toBe(6);
    expect(sessions.token()).toBe("tok-1");
    auth.stop();
  });

  it("stops scheduling when signed out", async () => {
    const { server, fetchImpl } = fakeServer(() => jsonResponse(200, REFRESHED));
    const { sessions, auth } = createServices({ storage: null, fetchImpl });
    auth.start();
    sessions.signIn(LOGIN);
    sessions.signOut();
    await vi.advanceTimersByTimeAsync(900_000);
    expect(server.refreshCalls).toBe(0);
    auth.stop();
  });

  it("refreshes at once a token with under a minute left", async () => {
    const { server, fetchImpl } = fakeServer(() => jsonResponse(200, REFRESHED));
    const { sessions, auth } = createServices({ storage: null, fetchImpl });
    auth.start();
    sessions.signIn({ ...LOGIN, expires_in: 30 });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.refreshCalls).toBe(1);
    auth.stop();
  });
});

describe("reload with an expired token", () => {
  function expiredStorage(): MemoryStorage {
    const storage = new MemoryStorage();
    createServices({ storage, nowMs: () => 0 }).sessions.signIn(LOGIN);
    return storage;
  }

  it("refreshes before showing anything, and signs in with the new token", async () => {
    const { fetchImpl } = fakeServer(() => jsonResponse(200, REFRESHED));
    const { sessions, auth } = createServices({
      storage: expiredStorage(),
      fetchImpl,
      nowMs: () => 1_000_000,
    });
    expect(sessions.getSnapshot()).toMatchObject({ session: null, resuming: true });
    auth.start();
    await vi.waitFor(() => {
      expect(sessions.token()).toBe("tok-2");
    });
    expect(sessions.getSnapshot().resuming).toBe(false);
    auth.stop();
  });

  it("shows the login screen with the notice when the cookie is gone", async () => {
    const { fetchImpl } = fakeServer(() => jsonResponse(401, { detail: "no refresh cookie" }));
    const storage = expiredStorage();
    const { sessions, auth } = createServices({ storage, fetchImpl, nowMs: () => 1_000_000 });
    auth.start();
    await vi.waitFor(() => {
      expect(sessions.getSnapshot().resuming).toBe(false);
    });
    expect(sessions.getSnapshot()).toMatchObject({
      session: null,
      notice: SESSION_EXPIRED_NOTICE,
      lastUsername: "night.guard",
    });
    expect(storage.length).toBe(0);
    auth.stop();
  });

  it("says so when the server cannot be reached", async () => {
    const { fetchImpl } = fakeServer(() => {
      throw new TypeError("Failed to fetch");
    });
    const { sessions, auth } = createServices({
      storage: expiredStorage(),
      fetchImpl,
      nowMs: () => 1_000_000,
    });
    auth.start();
    await vi.waitFor(() => {
      expect(sessions.getSnapshot().notice).toBe("Cannot reach the Vigil server");
    });
    auth.stop();
  });
});

describe("sign out", () => {
  it("signs out at once and clears the cookie after a refresh in flight", async () => {
    let release: (r: Response) => void = () => undefined;
    const { server, fetchImpl } = fakeServer(
      () => new Promise<Response>((resolve) => (release = resolve)),
    );
    const { api, sessions, auth } = createServices({ storage: null, fetchImpl });
    sessions.signIn(LOGIN);
    const pending = api.cameras().catch((e: unknown) => e);
    await vi.waitFor(() => {
      expect(server.refreshCalls).toBe(1);
    });
    auth.signOut();
    expect(sessions.token()).toBeNull();
    expect(server.logoutCalls).toBe(0);

    release(jsonResponse(200, REFRESHED));
    expect(await pending).toBeInstanceOf(ApiError);
    await vi.waitFor(() => {
      expect(server.logoutCalls).toBe(1);
    });
    // The refresh's answer came after the sign-out: it signs no one back in.
    expect(sessions.token()).toBeNull();
    expect(sessions.getSnapshot().notice).toBeNull();
  });
});
