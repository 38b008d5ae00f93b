import { createApiClient } from "./api/client.ts";
import { TokenRefresher } from "./auth/refresh.ts";
import { SessionStore } from "./auth/session.ts";
import type { Services } from "./context.ts";

export interface ServicesOptions {
  /** Where the session survives a reload (sessionStorage), or null. */
  storage: Storage | null;
  fetchImpl?: ((path: string, init: RequestInit) => Promise<Response>) | undefined;
  nowMs?: (() => number) | undefined;
}

/**
 * Session store, API client and token refresher, wired to each other. Call
 * `auth.start()` to begin refreshing (and resume a reloaded session).
 */
export function createServices(options: ServicesOptions): Services {
  const sessions = new SessionStore(options.storage, options.nowMs);
  const api = createApiClient({
    getToken: sessions.token,
    // `auth` is built below; these only run once a request has been answered.
    renewSession: (refusedToken) => auth.renew(refusedToken),
    onRefusedAfterRenewal: (refusedToken) => {
      sessions.expire(refusedToken);
    },
    onMfaEnrollmentRequired: (token) => {
      sessions.requireMfaEnrollment(token);
    },
    fetchImpl: options.fetchImpl,
  });
  const auth = new TokenRefresher({
    sessions,
    requestRefresh: api.refreshSession,
    requestLogout: api.logout,
    nowMs: options.nowMs,
  });
  return { api, sessions, auth };
}
