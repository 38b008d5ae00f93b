import type { ReactNode } from "react";
import type { Health, User } from "../api/types.ts";
import type { SocketState } from "../lib/socket.ts";
import { HealthIndicator } from "./HealthIndicator.tsx";
import { Logo } from "./Logo.tsx";

const SOCKET_TEXT: Record<SocketState, string> = {
  open: "Live",
  connecting: "connecting live updates…",
  reconnecting: "live updates paused — reconnecting",
  closed: "live updates off",
};

export function Header({
  user,
  health,
  serverUnreachable,
  unacknowledged,
  socketState,
  onSignOut,
  accountMenu,
  nav,
}: {
  user: User;
  health: Health | undefined;
  serverUnreachable: boolean;
  unacknowledged: number;
  socketState: SocketState;
  onSignOut: () => void;
  /** Replaces the plain user name and role (e.g. with a menu). */
  accountMenu?: ReactNode;
  /** A second row: links to the other pages. */
  nav?: ReactNode;
}) {
  const live = socketState === "open";
  return (
    <header className="sticky top-0 z-10 border-b border-slate-800 bg-slate-950/95 backdrop-blur">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-2.5">
        <div className="flex items-center gap-2">
          <Logo className="size-8" />
          <span className="text-2xl font-bold tracking-tight text-white">Vigil</span>
        </div>
        <HealthIndicator health={health} unreachable={serverUnreachable} />
        <span
          data-testid="ws-status"
          data-state={socketState}
          role="status"
          className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-base font-semibold ring-1 ring-inset ${
            live
              ? "bg-slate-900 text-emerald-300 ring-emerald-600/50"
              : "bg-amber-950 text-amber-200 ring-amber-400/70"
          }`}
        >
          <span
            aria-hidden="true"
            className={`size-2.5 rounded-full ${live ? "bg-emerald-400" : "animate-pulse bg-amber-400"}`}
          />
          {SOCKET_TEXT[socketState]}
        </span>

        <a
          href="#alerts"
          className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-base font-semibold ring-1 ring-inset ${
            unacknowledged > 0
              ? "bg-red-600 text-white ring-red-300"
              : "bg-slate-900 text-slate-300 ring-slate-600"
          }`}
          aria-label={`${unacknowledged} unacknowledged alerts`}
        >
          <span data-testid="unack-count" className="tabular-nums">
            {unacknowledged}
          </span>
          <span>unacknowledged</span>
        </a>

        <div className="ml-auto flex items-center gap-3">
          {accountMenu ?? (
            <span className="text-base text-slate-300">
              <span className="font-semibold text-white">{user.username}</span>{" "}
              <span className="rounded bg-slate-800 px-1.5 py-0.5 text-sm text-slate-300 capitalize">
                {user.role}
              </span>
            </span>
          )}
          <button
            type="button"
            onClick={onSignOut}
            className="rounded-md border border-slate-600 px-3 py-1.5 text-base font-semibold text-slate-100 hover:bg-slate-800"
          >
            Sign out
          </button>
        </div>
      </div>
      {nav}
    </header>
  );
}
