import { describe, expect, it, vi } from "vitest";
import { jsonResponse, LOGIN } from "../test/fixtures.ts";
import { ApiError, createApiClient, detailText, SessionExpiredError } from "./client.ts";

function setup(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const fetchImpl = vi.fn((path: string, init: RequestInit) =>
    Promise.resolve(respond(path, init)),
  );
  let token: string | null = "tok-1";
  // By default the session cannot be renewed.
  const renewSession = vi.fn<(refused: string | null) => Promise<boolean>>(() =>
    Promise.resolve(false),
  );
  const onRefusedAfterRenewal = vi.fn<(refused: string | null) => void>();
  const api = createApiClient({
    getToken: () => token,
    renewSession,
    onRefusedAfterRenewal,
    fetchImpl,
  });
  return {
    api,
    fetchImpl,
    renewSession,
    onRefusedAfterRenewal,
    setToken: (t: string | null) => (token = t),
  };
}

function headerOf(init: RequestInit | undefined, name: string): string | null {
  return new Headers(init?.headers).get(name);
}

describe("createApiClient", () => {
  it("sends the bearer token on authenticated calls, to relative URLs", async () => {
    const { api, fetchImpl } = setup(() => jsonResponse(200, []));
    await api.cameras();
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe("/api/v1/cameras");
    expect(headerOf(init, "Authorization")).toBe("Bearer tok-1");
  });

  it("asks for open alerts, newest 50", async () => {
    const { api, fetchImpl } = setup(() => jsonResponse(200, { items: [], next_cursor: null }));
    await api.openAlerts();
    expect(fetchImpl.mock.calls[0]?.[0]).toBe("/api/v1/alerts?status=new,acknowledged&limit=50");
  });

  it("on a 401 that cannot be renewed rejects with SessionExpiredError, without retrying", async () => {
    const { api, fetchImpl, renewSession } = setup(() =>
      jsonResponse(401, { detail: "Token expired" }),
    );
    const error: unknown = await api.cameras().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect((error as ApiError).detail).toBe("Token expired");
    expect(renewSession).toHaveBeenCalledExactlyOnceWith("tok-1");
    expect(fetchImpl).toHaveBeenCalledOnce();
  });

  it("on a 401 renews the session and retries once with the new token", async () => {
    const { api, fetchImpl, renewSession, setToken } = setup((_path, init) =>
      headerOf(init, "Authorization") === "Bearer tok-2"
        ? jsonResponse(200, { id: "a1" })
        : jsonResponse(401, { detail: "Token expired" }),
    );
    renewSession.mockImplementation(() => {
      setToken("tok-2");
      return Promise.resolve(true);
    });
    await expect(api.acknowledge("a1")).resolves.toEqual({ id: "a1" });
    expect(fetchImpl.mock.calls.map(([, init]) => headerOf(init, "Authorization"))).toEqual([
      "Bearer tok-1",
      "Bearer tok-2",
    ]);
    expect(fetchImpl.mock.calls[1]?.[1].method).toBe("POST");
  });

  it("retries only once: a refused retry ends the session", async () => {
    const { api, fetchImpl, renewSession, onRefusedAfterRenewal, setToken } = setup(() =>
      jsonResponse(401, { detail: "Token expired" }),
    );
    renewSession.mockImplementation(() => {
      setToken("tok-2");
      return Promise.resolve(true);
    });
    await expect(api.cameras()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
    expect(renewSession).toHaveBeenCalledOnce();
    expect(onRefusedAfterRenewal).toHaveBeenCalledExactlyOnceWith("tok-2");
  });

  it("fails with the renewal's error when the server could not be asked", async () => {
    const { api, renewSession } = setup(() => jsonResponse(401, { detail: "Token expired" }));
    renewSession.mockRejectedValue(new ApiError(0, "Cannot reach the Vigil server"));
    const error: unknown = await api.cameras().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(SessionExpiredError);
    expect(error).toMatchObject({ status: 0 });
  });

  it("treats a 401 on blob (snapshot) calls the same way", async () => {
    const { api, renewSession } = setup(() => jsonResponse(401, { detail: "nope" }));
    await expect(api.blob("/api/v1/cameras/c/snapshot")).rejects.toBeInstanceOf(
      SessionExpiredError,
    );
    expect(renewSession).toHaveBeenCalledOnce();
  });

  it.each([
    ["refreshSession", "/api/v1/auth/refresh"],
    ["logout", "/api/v1/auth/logout"],
  ] as const)("%s POSTs to %s with the cookie and no bearer header", async (method, path) => {
    const { api, fetchImpl, renewSession } = setup((url) =>
      url.endsWith("/logout") ? new Response(null, { status: 204 }) : jsonResponse(200, LOGIN),
    );
    await api[method]();
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe(path);
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(headerOf(init, "Authorization")).toBeNull();
    expect(renewSession).not.toHaveBeenCalled();
  });

  it("a refused refresh is a plain 401 error, never a renewal loop", async () => {
    const { api, renewSession } = setup(() => jsonResponse(401, { detail: "no refresh cookie" }));
    await expect(api.refreshSession()).rejects.toMatchObject({ status: 401 });
    expect(renewSession).not.toHaveBeenCalled();
  });

  it("asks for the alert counts", async () => {
    const { api, fetchImpl } = setup(() =>
      jsonResponse(200, { new: 3, acknowledged: 1, resolved: 9 }),
    );
    await expect(api.alertCounts()).resolves.toEqual({ new: 3, acknowledged: 1, resolved: 9 });
    expect(fetchImpl.mock.calls[0]?.[0]).toBe("/api/v1/alerts/counts");
  });

  it("login sends no bearer header and a 401 is a plain error with the server's detail", async () => {
    const { api, fetchImpl, renewSession } = setup(() =>
      jsonResponse(401, { detail: "Invalid username or password" }),
    );
    const error: unknown = await api.login("guard", "bad").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(SessionExpiredError);
    expect((error as ApiError).detail).toBe("Invalid username or password");
    expect(renewSession).not.toHaveBeenCalled();
    const init = fetchImpl.mock.calls[0]?.[1];
    expect(headerOf(init, "Authorization")).toBeNull();
    expect(init?.method).toBe("POST");
    expect(JSON.parse(init?.body as string)).toEqual({ username: "guard", password: "bad" });
  });

  it("returns the login response", async () => {
    const { api } = setup(() => jsonResponse(200, LOGIN));
    await expect(api.login("night.guard", "pw")).resolves.toEqual(LOGIN);
  });

  it("maps other HTTP errors to ApiError without signing out", async () => {
    const { api, renewSession } = setup(() =>
      jsonResponse(409, { detail: "Alert is already resolved" }),
    );
    await expect(api.acknowledge("a/1")).rejects.toMatchObject({
      status: 409,
      detail: "Alert is already resolved",
    });
    expect(renewSession).not.toHaveBeenCalled();
  });

  it("escapes ids in paths", async () => {
    const { api, fetchImpl } = setup(() => jsonResponse(200, {}));
    await api.acknowledge("a/1");
    expect(fetchImpl.mock.calls[0]?.[0]).toBe("/api/v1/alerts/a%2F1/ack");
  });

  it("maps network failures to ApiError status 0", async () => {
    const { api } = setup(() => {
      throw new TypeError("Failed to fetch");
    });
    await expect(api.health()).rejects.toMatchObject({ status: 0 });
  });

  it("falls back to the status line when the error body is not JSON", async () => {
    const { api } = setup(
      () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    await expect(api.cameras()).rejects.toMatchObject({ status: 502, detail: "502 Bad Gateway" });
  });
});

describe("detailText", () => {
  it.each([
    [{ detail: "plain" }, "plain"],
    [{ detail: [{ msg: "field required" }, { msg: "too short" }] }, "field required; too short"],
    [{ detail: "" }, "fallback"],
    [{ other: 1 }, "fallback"],
    [null, "fallback"],
    ["text", "fallback"],
  ])("%j → %s", (body, expected) => {
    expect(detailText(body, "fallback")).toBe(expected);
  });
});
