import type { LoginResponse, User } from "../api/types.ts";

export interface Session {
  token: string;
  user: User;
  /** Epoch milliseconds after which the token is no longer worth sending. */
  expiresAtMs: number;
  /**
   * The server accepts this token only for enrolling two-factor sign-in
   * (admin policy): the enrolment screen is shown instead of the dashboard.
   */
  mfaEnrollmentRequired?: boolean;
}

export interface SessionState {
  session: Session | null;
  /**
   * The page was reloaded with a stored session whose token has expired; a
   * refresh (cookie) is being tried before the login screen is shown.
   */
  resuming: boolean;
  /** Shown on the login screen, e.g. after the server refused the token. */
  notice: string | null;
  /** Prefills the login form after a sign-out. */
  lastUsername: string | null;
}

export const SESSION_EXPIRED_NOTICE = "Session expired, sign in again";
const STORAGE_KEY = "vigil.session";

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Session>;
  return (
    typeof v.token === "string" &&
    typeof v.expiresAtMs === "number" &&
    typeof v.user === "object" &&
    typeof v.user.username === "string" &&
    typeof v.user.role === "string"
  );
}

/**
 * The signed-in session, kept in memory and mirrored to sessionStorage so a
 * reload keeps the guard signed in (and a closed tab does not). A stored
 * session whose token has expired is not restored but marks the state
 * `resuming`, for the caller to try a refresh (`signIn`) or give up (`signOut`).
 * Shaped for `useSyncExternalStore`.
 */
export class SessionStore {
  private state: SessionState;
  private readonly listeners = new Set<() => void>();
  private readonly storage: Storage | null;
  private readonly nowMs: () => number;

  constructor(storage: Storage | null, nowMs: () => number = Date.now) {
    this.storage = storage;
    this.nowMs = nowMs;
    const stored = this.restore();
    const live = stored !== null && stored.expiresAtMs > this.nowMs() ? stored : null;
    this.state = {
      session: live,
      resuming: stored !== null && live === null,
      notice: null,
      lastUsername: stored?.user.username ?? null,
    };
  }

  getSnapshot = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  token = (): string | null => this.state.session?.token ?? null;

  /** A new access token, from the login form or a refresh. */
  signIn(response: LoginResponse): void {
    const session: Session = {
      token: response.access_token,
      user: response.user,
      expiresAtMs: this.nowMs() + response.expires_in * 1000,
      mfaEnrollmentRequired: response.mfa_enrollment_required,
    };
    this.write(session);
    this.set({ session, resuming: false, notice: null, lastUsername: session.user.username });
  }

  /** The server refused `token` until two-factor sign-in is enrolled (a 403 said so). */
  requireMfaEnrollment(token: string | null): void {
    const current = this.state.session;
    if (current === null || current.token !== token || current.mfaEnrollmentRequired === true) {
      return;
    }
    const session = { ...current, mfaEnrollmentRequired: true };
    this.write(session);
    this.set({ ...this.state, session });
  }

  signOut(notice: string | null = null): void {
    this.write(null);
    const lastUsername = this.state.session?.user.username ?? this.state.lastUsername;
    this.set({ session: null, resuming: false, notice, lastUsername });
  }

  /**
   * The server refused `refusedToken` and it cannot be renewed: sign out with
   * the notice, unless a newer session replaced it (or none is left to end).
   */
  expire(refusedToken: string | null): void {
    const current = this.state.session;
    if (current === null) {
      if (this.state.resuming) this.signOut(SESSION_EXPIRED_NOTICE);
      return;
    }
    if (refusedToken !== null && refusedToken !== current.token) return;
    this.signOut(SESSION_EXPIRED_NOTICE);
  }

  private set(next: SessionState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }

  private restore(): Session | null {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      if (raw == null) return null;
      const parsed: unknown = JSON.parse(raw);
      if (isSession(parsed)) return parsed;
    } catch {
      // Unreadable or corrupt storage: start signed out.
    }
    this.write(null);
    return null;
  }

  private write(session: Session | null): void {
    try {
      if (session === null) this.storage?.removeItem(STORAGE_KEY);
      else this.storage?.setItem(STORAGE_KEY, JSON.stringify(session));
    } catch {
      // Storage full or disabled (private mode): the in-memory copy still works.
    }
  }
}
