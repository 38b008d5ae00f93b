import type { Role } from "../api/types.ts";

/** The pages of the dashboard (in-app navigation; no URL routing). */
export type View =
  | "dashboard"
  | "users"
  | "api-keys"
  | "audit"
  | "account"
  | "camera"
  | "playback"
  | "alerts"
  | "events"
  | "faces"
  | "analytics"
  | "settings";

const LINKS: {
  view: View;
  label: string;
  testId: string;
  adminOnly: boolean;
  /** Hidden from viewers (the server refuses them the page's data). */
  operatorOnly?: boolean;
}[] = [
  { view: "dashboard", label: "Dashboard", testId: "nav-dashboard", adminOnly: false },
  { view: "playback", label: "Playback", testId: "nav-playback", adminOnly: false },
  { view: "alerts", label: "Alerts", testId: "nav-alerts", adminOnly: false },
  { view: "events", label: "Events", testId: "nav-events", adminOnly: false },
  { view: "faces", label: "Faces", testId: "nav-faces", adminOnly: false, operatorOnly: true },
  { view: "analytics", label: "Analytics", testId: "nav-analytics", adminOnly: false },
  { view: "settings", label: "Settings", testId: "nav-settings", adminOnly: false },
  { view: "users", label: "Users", testId: "nav-users", adminOnly: true },
  { view: "api-keys", label: "API keys", testId: "nav-api-keys", adminOnly: true },
  { view: "audit", label: "Audit log", testId: "nav-audit", adminOnly: true },
];

/** Admin pages are listed for admins only (the server refuses them to others anyway). */
export function NavBar({
  role,
  view,
  onNavigate,
}: {
  role: Role;
  view: View;
  onNavigate: (view: View) => void;
}) {
  const links = LINKS.filter(
    (link) =>
      (!link.adminOnly || role === "admin") && !(link.operatorOnly === true && role === "viewer"),
  );
  // A non-admin on the dashboard has nowhere else to go: no bar.
  if (links.length === 1 && view === "dashboard") return null;
  return (
    <nav aria-label="Pages" className="border-t border-slate-800 px-2 sm:px-4">
      <ul className="flex gap-1 overflow-x-auto">
        {links.map((link) => {
          // The single-camera view is part of the dashboard.
          const current = link.view === view || (link.view === "dashboard" && view === "camera");
          return (
            <li key={link.view}>
              <button
                type="button"
                data-testid={link.testId}
                aria-current={current ? "page" : undefined}
                onClick={() => {
                  onNavigate(link.view);
                }}
                className={`border-b-4 px-2 py-2 sm:px-3 text-base font-semibold whitespace-nowrap ${
                  current
                    ? "border-amber-400 text-white"
                    : "border-transparent text-slate-300 hover:text-white"
                }`}
              >
                {link.label}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
