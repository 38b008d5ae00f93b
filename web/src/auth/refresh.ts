import { ApiError } from "../api/client.ts";
import type { LoginResponse } from "../api/types.ts";
import type { SessionStore } from "./session.ts";

export interface TokenRefresherOptions {
  sessions: SessionStore;
  /** `POST /auth/refresh`: the httpOnly cookie is the credential. */
  requestRefresh: () => Promise<LoginResponse>;
  /** `POST /auth/logout`: clears the cookie. */
  requestLogout: () => Promise<void>;
  /** Refresh this long before the access token runs out (default 60 s). */
  leadMs?: number;
  /** After a scheduled refresh could not reach the server, try again this much later (default 10 s). */
  retryMs?: number;
  nowMs?: (() => number) | undefined;
}

/** Longest delay `setTimeout` keeps (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The server answered, and the answer was no: the cookie is missing, expired or refused. */
function isRefusal(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500;
}

/**
 * Keeps the access token fresh with the refresh cookie: shortly before it runs
 * out, when the server refuses it (`renew`, one refresh shared by every caller
 * that asks while it is in flight), and on a reload that found it expired.
 * A refused refresh signs out with the session-expired notice; one that could
 * not reach the server leaves the session alone.
 */
export class TokenRefresher {
  private readonly options: TokenRefresherOptions;
  private readonly sessions: SessionStore;
  private readonly nowMs: () => number;
  private inFlight: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The token the timer was set for (undefined: no schedule yet). */
  private scheduledFor: string | null | undefined = undefined;
  private unsubscribe: (() => void) | null = null;

  constructor(options: TokenRefresherOptions) {
    this.options = options;
    this.sessions = options.sessions;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Schedules refreshes for every session from now on; resumes a reloaded, expired one. */
  start(): void {
    if (this.unsubscribe !== null) return;
    this.unsubscribe = this.sessions.subscribe(() => {
      this.schedule();
    });
    this.schedule();
    if (this.sessions.getSnapshot().resuming) {
      this.refresh().catch((err: unknown) => {
        // Not refused, just unreachable: the login screen says so.
        this.sessions.signOut(err instanceof ApiError ? err.detail : "Sign-in failed");
      });
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearTimer();
    this.scheduledFor = undefined;
  }

  /**
   * The server refused `refusedToken` (401). Resolves true when a newer token
   * is ready to retry with, false when the session is over (signed out);
   * rejects with an `ApiError` when the server could not be asked.
   */
  renew = (refusedToken: string | null): Promise<boolean> => {
    const current = this.sessions.token();
    if (current === null) return Promise.resolve(false);
    // Renewed since that request went out: just retry with the new token.
    if (refusedToken !== current) return Promise.resolve(true);
    return this.refresh();
  };

  /** Refreshes now, or joins the refresh already in flight. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Signs out here at once, and clears the cookie after any refresh in flight has set it. */
  signOut(): void {
    const pending = this.inFlight ?? Promise.resolve(false);
    this.sessions.signOut();
    pending
      .catch(() => false)
      .then(() => this.options.requestLogout())
      .catch(() => {
        // The cookie stays until it expires; this tab is signed out either way.
      });
  }

  private async refreshOnce(): Promise<boolean> {
    const before = this.sessions.getSnapshot();
    let response: LoginResponse;
    try {
      response = await this.options.requestRefresh();
    } catch (err) {
      if (!isRefusal(err)) throw err;
      this.sessions.expire(before.session?.token ?? null);
      return false;
    }
    const after = this.sessions.getSnapshot();
    // Signed out (or in afresh) while the request was out: the answer belongs to no one.
    if (after.session?.token !== before.session?.token || after.resuming !== before.resuming) {
      return after.session !== null;
    }
    this.sessions.signIn(response);
    return true;
  }

  private schedule(): void {
    const session = this.sessions.getSnapshot().session;
    const token = session?.token ?? null;
    if (token === this.scheduledFor) return;
    this.clearTimer();
    this.scheduledFor = token;
    if (session === null) return;
    const leadMs = this.options.leadMs ?? 60_000;
    this.setTimer(session.expiresAtMs - leadMs - this.nowMs(), token, session.expiresAtMs);
  }

  private setTimer(delayMs: number, token: string | null, expiresAtMs: number): void {
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.refresh().catch(() => {
          // Server unreachable: try again while the token still works; after
          // that the first refused request asks for a new one.
          const retryMs = this.options.retryMs ?? 10_000;
          if (this.sessions.token() === token && this.nowMs() + retryMs < expiresAtMs) {
            this.setTimer(retryMs, token, expiresAtMs);
          }
        });
      },
      Math.min(MAX_TIMER_MS, Math.max(0, delayMs)),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
