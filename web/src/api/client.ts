import type { Alert, AlertCounts, AlertPage, Camera, Health, LoginResponse } from "./types.ts";

/** An HTTP error from the API, carrying the server's `detail` text. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;

  constructor(status: number, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** The session's token was refused (HTTP 401 on an authenticated call). */
export class SessionExpiredError extends ApiError {
  constructor(detail: string) {
    super(401, detail);
    this.name = "SessionExpiredError";
  }
}

export interface ApiClientOptions {
  /** The bearer token to send, or null when signed out. */
  getToken: () => string | null;
  /**
   * The server refused `refusedToken` (401). Resolves true once a newer token
   * is ready (the request is then retried once with it), false when the
   * session is over; rejects with an `ApiError` when the server could not be
   * asked (the request fails with that error).
   */
  renewSession: (refusedToken: string | null) => Promise<boolean>;
  /** The retried request was refused too: even a fresh token is no good. */
  onRefusedAfterRenewal: (refusedToken: string | null) => void;
  /** Defaults to the browser's `fetch`; the client only ever passes a path string. */
  fetchImpl?: ((path: string, init: RequestInit) => Promise<Response>) | undefined;
}

interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  /** Send no bearer header and treat 401 as an ordinary error (login, refresh, logout). */
  anonymous?: boolean;
  signal?: AbortSignal | undefined;
  accept?: string;
}

const NETWORK_ERROR_DETAIL = "Cannot reach the Vigil server";

/** Turns FastAPI's `detail` (a string, or a list of validation errors) into one line. */
export function detailText(body: unknown, fallback: string): string {
  if (typeof body !== "object" || body === null || !("detail" in body)) return fallback;
  const detail = body.detail;
  if (typeof detail === "string" && detail.trim() !== "") return detail;
  if (Array.isArray(detail)) {
    const messages = detail
      .map((item: unknown) =>
        typeof item === "object" && item !== null && "msg" in item ? String(item.msg) : null,
      )
      .filter((msg): msg is string => msg !== null);
    if (messages.length > 0) return messages.join("; ");
  }
  return fallback;
}

async function readDetail(response: Response): Promise<string> {
  const fallback = `${response.status} ${response.statusText}`.trim();
  try {
    return detailText(await response.json(), fallback);
  } catch {
    return fallback;
  }
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * Same-origin client of `/api/v1`. Every call but the auth ones sends the
 * bearer token. A 401 on such a call asks `renewSession` for a new token and
 * retries once; if the session cannot be renewed it rejects with
 * `SessionExpiredError` (the renewer has signed the user out by then).
 */
export function createApiClient(options: ApiClientOptions) {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch.bind(globalThis);

  async function send(path: string, request: RequestOptions, isRetry = false): Promise<Response> {
    const headers = new Headers({ Accept: request.accept ?? "application/json" });
    // A custom header cannot be sent cross-site without CORS, which the server refuses:
    // the server requires it on cookie-authenticated calls (CSRF protection).
    headers.set("X-Requested-With", "vigil");
    const token = request.anonymous === true ? null : options.getToken();
    if (token !== null) headers.set("Authorization", `Bearer ${token}`);
    // The refresh cookie (path /api/v1/auth) rides along on the auth calls.
    const init: RequestInit = {
      method: request.method ?? "GET",
      headers,
      credentials: "same-origin",
    };
    if (request.body !== undefined) {
      headers.set("Content-Type", "application/json");
      init.body = JSON.stringify(request.body);
    }
    if (request.signal !== undefined) init.signal = request.signal;

    let response: Response;
    try {
      response = await fetchImpl(path, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError(0, NETWORK_ERROR_DETAIL);
    }
    if (response.ok) return response;

    const detail = await readDetail(response);
    if (response.status === 401 && request.anonymous !== true) {
      if (isRetry) {
        options.onRefusedAfterRenewal(token);
      } else if (await options.renewSession(token)) {
        // A refused request did nothing on the server, so even a POST is safe to repeat.
        return send(path, request, true);
      }
      throw new SessionExpiredError(detail);
    }
    throw new ApiError(response.status, detail);
  }

  async function json<T>(path: string, request: RequestOptions = {}): Promise<T> {
    const response = await send(path, request);
    return (await response.json()) as T;
  }

  return {
    login: (username: string, password: string) =>
      json<LoginResponse>("/api/v1/auth/login", {
        method: "POST",
        body: { username, password },
        anonymous: true,
      }),
    /** Trades the refresh cookie for a new access token (and a rotated cookie). */
    refreshSession: () =>
      json<LoginResponse>("/api/v1/auth/refresh", { method: "POST", anonymous: true }),
    /** Clears the refresh cookie. */
    logout: async (): Promise<void> => {
      await send("/api/v1/auth/logout", { method: "POST", anonymous: true });
    },
    cameras: (signal?: AbortSignal) => json<Camera[]>("/api/v1/cameras", { signal }),
    openAlerts: (signal?: AbortSignal) =>
      json<AlertPage>("/api/v1/alerts?status=new,acknowledged&limit=50", { signal }),
    alertCounts: (signal?: AbortSignal) => json<AlertCounts>("/api/v1/alerts/counts", { signal }),
    acknowledge: (alertId: string) =>
      json<Alert>(`/api/v1/alerts/${encodeURIComponent(alertId)}/ack`, { method: "POST" }),
    health: (signal?: AbortSignal) => json<Health>("/api/v1/system/health", { signal }),
    /** Fetches an image (snapshot) that needs the bearer header. */
    blob: async (path: string, signal?: AbortSignal): Promise<Blob> =>
      (await send(path, { signal, accept: "image/*" })).blob(),
  };
}
