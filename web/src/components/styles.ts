import type { AlertStatus, CameraStatus, HealthStatus, Severity } from "../api/types.ts";

/** Tone of a status: every tone is also spelled out in text, never colour alone. */
export type Tone = "good" | "warn" | "bad" | "muted" | "info";

/** Looks up a value the server sent, which may be newer than this dashboard knows. */
function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export const TONE_PILL: Record<Tone, string> = {
  good: "bg-emerald-950 text-emerald-300 ring-emerald-500/60",
  warn: "bg-amber-950 text-amber-200 ring-amber-400/70",
  bad: "bg-red-950 text-red-200 ring-red-500/80",
  muted: "bg-slate-800 text-slate-300 ring-slate-500/60",
  info: "bg-sky-950 text-sky-200 ring-sky-500/60",
};

export const TONE_DOT: Record<Tone, string> = {
  good: "bg-emerald-400",
  warn: "bg-amber-400",
  bad: "bg-red-500",
  muted: "bg-slate-400",
  info: "bg-sky-400",
};

export const CAMERA_STATUS: Record<CameraStatus, { label: string; tone: Tone }> = {
  online: { label: "Online", tone: "good" },
  reconnecting: { label: "Reconnecting", tone: "warn" },
  connecting: { label: "Connecting", tone: "warn" },
  offline: { label: "Offline", tone: "bad" },
  auth_failed: { label: "Login failed", tone: "bad" },
  disabled: { label: "Disabled", tone: "muted" },
};

export function cameraStatusInfo(status: string): { label: string; tone: Tone } {
  return lookup(CAMERA_STATUS, status) ?? { label: status, tone: "muted" };
}

export const HEALTH: Record<HealthStatus, { label: string; tone: Tone }> = {
  ok: { label: "System OK", tone: "good" },
  degraded: { label: "Degraded", tone: "warn" },
  down: { label: "System down", tone: "bad" },
};

export const SEVERITY: Record<Severity, { label: string; bar: string; badge: string }> = {
  critical: {
    label: "Critical",
    bar: "bg-red-500",
    badge: "bg-red-600 text-white ring-red-400",
  },
  high: {
    label: "High",
    bar: "bg-orange-500",
    badge: "bg-orange-500 text-black ring-orange-300",
  },
  medium: {
    label: "Medium",
    bar: "bg-amber-400",
    badge: "bg-amber-400 text-black ring-amber-200",
  },
  low: { label: "Low", bar: "bg-sky-400", badge: "bg-sky-900 text-sky-100 ring-sky-500" },
  info: { label: "Info", bar: "bg-slate-400", badge: "bg-slate-700 text-slate-100 ring-slate-500" },
};

export function severityInfo(severity: string): { label: string; bar: string; badge: string } {
  return lookup(SEVERITY, severity) ?? SEVERITY.info;
}

export function healthInfo(status: string): { label: string; tone: Tone } {
  return lookup(HEALTH, status) ?? { label: status, tone: "muted" };
}

export function alertStatusInfo(status: string): { label: string; tone: Tone } {
  return lookup(ALERT_STATUS, status) ?? { label: status, tone: "muted" };
}

export const ALERT_STATUS: Record<AlertStatus, { label: string; tone: Tone }> = {
  new: { label: "New", tone: "bad" },
  acknowledged: { label: "Acknowledged", tone: "info" },
  resolved: { label: "Resolved", tone: "good" },
};

/** Colour of a detection box by class; anything unlisted is drawn in white. */
export const DETECTION_COLOUR: Record<string, string> = {
  person: "#22d3ee",
  car: "#f472b6",
  truck: "#f472b6",
  bus: "#f472b6",
  motorcycle: "#c084fc",
  bicycle: "#c084fc",
};
