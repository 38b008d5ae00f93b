import { describe, expect, it, vi } from "vitest";
import { jsonResponse, LOGIN } from "../test/fixtures.ts";
import { ApiError, createApiClient, detailText, SessionExpiredError } from "./client.ts";

function setup(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const fetchImpl = vi.fn((path: string, init: RequestInit) =>
    Promise.resolve(respond(path, init)),
  );
  const onUnauthorized = vi.fn();
  let token: string | null = "tok-1";
  const api = createApiClient({
    getToken: () => token,
    onUnauthorized,
    fetchImpl,
  });
  return {
    api,
    fetchImpl,
    onUnauthorized,
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

  it("on a 401 reports the refused token and rejects with SessionExpiredError", async () => {
    const { api, onUnauthorized } = setup(() => jsonResponse(401, { detail: "Token expired" }));
    const error: unknown = await api.cameras().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect((error as ApiError).detail).toBe("Token expired");
    expect(onUnauthorized).toHaveBeenCalledExactlyOnceWith("tok-1");
  });

  it("treats a 401 on blob (snapshot) calls the same way", async () => {
    const { api, onUnauthorized } = setup(() => jsonResponse(401, { detail: "nope" }));
    await expect(api.blob("/api/v1/cameras/c/snapshot")).rejects.toBeInstanceOf(
      SessionExpiredError,
    );
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("login sends no bearer header and a 401 is a plain error with the server's detail", async () => {
    const { api, fetchImpl, onUnauthorized } = setup(() =>
      jsonResponse(401, { detail: "Invalid username or password" }),
    );
    const error: unknown = await api.login("guard", "bad").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(SessionExpiredError);
    expect((error as ApiError).detail).toBe("Invalid username or password");
    expect(onUnauthorized).not.toHaveBeenCalled();
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
    const { api, onUnauthorized } = setup(() =>
      jsonResponse(409, { detail: "Alert is already resolved" }),
    );
    await expect(api.acknowledge("a/1")).rejects.toMatchObject({
      status: 409,
      detail: "Alert is already resolved",
    });
    expect(onUnauthorized).not.toHaveBeenCalled();
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
