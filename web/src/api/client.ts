import type {
  Alert,
  AlertCounts,
  AlertPage,
  ApiKey,
  ApiKeyCreated,
  AuditFilter,
  AuditPage,
  Camera,
  CameraIntegrity,
  Health,
  LoginResponse,
  MfaEnrollment,
  RecoveryCodes,
  Role,
  UserAccount,
  UserCreate,
  UserUpdate,
} from "./types.ts";

/**
 * An HTTP error from the API, carrying the server's `detail` text and any
 * other fields of its error body (e.g. `mfa_required: true`).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(status: number, detail: string, extra: Readonly<Record<string, unknown>> = {}) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.extra = extra;
  }
}

/** The account has two-factor sign-in: ask for the code and sign in again with `otp`. */
export function isMfaRequired(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401 && err.extra.mfa_required === true;
}

/** This session may only enrol two-factor sign-in (admin policy). */
export function isMfaEnrollmentRequired(err: unknown): boolean {
  return (
    err instanceof ApiError && err.status === 403 && err.extra.mfa_enrollment_required === true
  );
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
  /** The server answered 403 `mfa_enrollment_required` to `token`: show the enrolment screen. */
  onMfaEnrollmentRequired?: ((token: string | null) => void) | undefined;
  /** Defaults to the browser's `fetch`; the client only ever passes a path string. */
  fetchImpl?: ((path: string, init: RequestInit) => Promise<Response>) | undefined;
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  /** Multipart body (uploads); the browser sets its Content-Type. */
  form?: FormData;
  /** Send no bearer header and treat 401 as an ordinary error (login, refresh, logout). */
  anonymous?: boolean;
  signal?: AbortSignal | undefined;
  accept?: string;
}

/** Options of `api.request`: method, JSON `body` or multipart `form`, abort signal. */
export type ApiRequest = Pick<RequestOptions, "method" | "body" | "form" | "signal">;

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

/** The error body's `detail` as one line, and its other fields. */
async function readError(
  response: Response,
): Promise<{ detail: string; extra: Record<string, unknown> }> {
  const fallback = `${response.status} ${response.statusText}`.trim();
  try {
    const body: unknown = await response.json();
    const extra =
      typeof body === "object" && body !== null && !Array.isArray(body)
        ? Object.fromEntries(Object.entries(body).filter(([key]) => key !== "detail"))
        : {};
    // A validation error's list (each with `loc`/`msg`) stays readable for field-level display.
    if (typeof body === "object" && body !== null && "detail" in body && Array.isArray(body.detail))
      extra.detail_items = body.detail;
    return { detail: detailText(body, fallback), extra };
  } catch {
    return { detail: fallback, extra: {} };
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
    } else if (request.form !== undefined) {
      init.body = request.form;
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

    const { detail, extra } = await readError(response);
    if (response.status === 401 && request.anonymous !== true) {
      if (isRetry) {
        options.onRefusedAfterRenewal(token);
      } else if (await options.renewSession(token)) {
        // A refused request did nothing on the server, so even a POST is safe to repeat.
        return send(path, request, true);
      }
      throw new SessionExpiredError(detail);
    }
    const error = new ApiError(response.status, detail, extra);
    if (isMfaEnrollmentRequired(error)) options.onMfaEnrollmentRequired?.(token);
    throw error;
  }

  async function json<T>(path: string, request: RequestOptions = {}): Promise<T> {
    const response = await send(path, request);
    return (await response.json()) as T;
  }

  async function noContent(path: string, request: RequestOptions): Promise<void> {
    await send(path, request);
  }

  return {
    /** `otp`: the authenticator (or recovery) code, once the server asked for it. */
    login: (username: string, password: string, otp?: string) =>
      json<LoginResponse>("/api/v1/auth/login", {
        method: "POST",
        body: otp === undefined ? { username, password } : { username, password, otp },
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
    resolve: (alertId: string) =>
      json<Alert>(`/api/v1/alerts/${encodeURIComponent(alertId)}/resolve`, { method: "POST" }),
    health: (signal?: AbortSignal) => json<Health>("/api/v1/system/health", { signal }),
    recordingIntegrity: (signal?: AbortSignal) =>
      json<CameraIntegrity[]>("/api/v1/recordings/integrity", { signal }),
    /** The signed-in user's own account (allowed while two-factor enrolment is pending). */
    me: (signal?: AbortSignal) => json<UserAccount>("/api/v1/users/me", { signal }),
    /** Starts two-factor enrolment: a new secret (replacing any unconfirmed one). */
    mfaEnroll: () => json<MfaEnrollment>("/api/v1/auth/mfa/enroll", { method: "POST" }),
    /** Turns two-factor sign-in on; the recovery codes are in this answer only. */
    mfaConfirm: (code: string) =>
      json<RecoveryCodes>("/api/v1/auth/mfa/confirm", { method: "POST", body: { code } }),
    users: (signal?: AbortSignal) => json<UserAccount[]>("/api/v1/users", { signal }),
    createUser: (user: UserCreate) =>
      json<UserAccount>("/api/v1/users", { method: "POST", body: user }),
    updateUser: (userId: string, changes: UserUpdate) =>
      json<UserAccount>(`/api/v1/users/${encodeURIComponent(userId)}`, {
        method: "PATCH",
        body: changes,
      }),
    deleteUser: (userId: string) =>
      noContent(`/api/v1/users/${encodeURIComponent(userId)}`, { method: "DELETE" }),
    apiKeys: (signal?: AbortSignal) => json<ApiKey[]>("/api/v1/api-keys", { signal }),
    createApiKey: (name: string, role: Role) =>
      json<ApiKeyCreated>("/api/v1/api-keys", { method: "POST", body: { name, role } }),
    revokeApiKey: (keyId: string) =>
      json<ApiKey>(`/api/v1/api-keys/${encodeURIComponent(keyId)}`, { method: "DELETE" }),
    audit: (filter: AuditFilter, signal?: AbortSignal) =>
      json<AuditPage>(`/api/v1/audit?${auditQuery(filter)}`, { signal }),
    /** Any JSON GET of `/api/v1` (the typed wrappers of api/video.ts, api/cameras.ts use it). */
    getJson: <T>(path: string, signal?: AbortSignal) => json<T>(path, { signal }),
    /** Any JSON POST of `/api/v1`. */
    postJson: <T>(path: string, body: unknown, signal?: AbortSignal) =>
      json<T>(path, { method: "POST", body, signal }),
    /** The raw response of an authenticated GET (when headers matter, e.g. a download's checksum). */
    download: (path: string, signal?: AbortSignal): Promise<Response> =>
      send(path, { signal, accept: "*/*" }),
    /** Any other JSON call of `/api/v1` (the typed wrappers of api/views.ts use it). */
    request: <T>(path: string, request: ApiRequest = {}) => json<T>(path, request),
    /** A call whose answer has no body worth reading (204, DELETE). */
    requestNoContent: (path: string, request: ApiRequest = {}) => noContent(path, request),
    /** Fetches an image (snapshot) that needs the bearer header. */
    blob: async (path: string, signal?: AbortSignal): Promise<Blob> =>
      (await send(path, { signal, accept: "image/*" })).blob(),
  };
}

/** Query string of `GET /audit`: empty filters are left out; 100 entries a page. */
export function auditQuery(filter: AuditFilter): string {
  const params = new URLSearchParams();
  const actor = filter.actor?.trim() ?? "";
  const action = filter.action?.trim() ?? "";
  if (actor !== "") params.set("actor", actor);
  if (action !== "") params.set("action", action);
  if (filter.outcome !== undefined && filter.outcome !== "") params.set("outcome", filter.outcome);
  params.set("limit", "100");
  if (filter.beforeId != null) params.set("before_id", String(filter.beforeId));
  return params.toString();
}
