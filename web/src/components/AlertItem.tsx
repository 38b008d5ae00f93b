import { useRef, useState, type ReactNode } from "react";
import { ApiError, SessionExpiredError } from "../api/client.ts";
import type { Alert } from "../api/types.ts";
import { useApi } from "../context.ts";
import { useAuthedImage } from "../hooks/useAuthedImage.ts";
import type { AlertEntry } from "../lib/alerts.ts";
import { DEFAULT_ASPECT, pictureAspect } from "../lib/aspect.ts";
import { formatAbsolute, formatFull, formatRelative, parseTimeMs } from "../lib/time.ts";
import { Pill, SeverityBadge } from "./Pill.tsx";
import { alertStatusInfo, severityInfo } from "./styles.ts";

export function AlertItem({
  entry,
  displayAspect,
  nowMs,
  canAcknowledge,
  onChanged,
  onConflict,
  children,
}: {
  entry: AlertEntry;
  /** The alert's camera's `display_aspect`, or null when unknown. */
  displayAspect: number | null;
  nowMs: number;
  canAcknowledge: boolean;
  onChanged: (alert: Alert) => void;
  /** The server refused the change because the alert moved on (409): re-fetch. */
  onConflict: () => void;
  /** More controls under the card's own (the alerts view adds assignment and notes). */
  children?: ReactNode;
}) {
  const { alert } = entry;
  const api = useApi();
  const itemRef = useRef<HTMLLIElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const severity = severityInfo(alert.severity);
  const status = alertStatusInfo(alert.status);
  const createdMs = parseTimeMs(alert.created_at);
  const ackMs = parseTimeMs(alert.acknowledged_at);

  const change = (action: "acknowledge" | "resolve") => {
    setPending(true);
    setError(null);
    api[action](alert.id).then(
      (updated) => {
        setPending(false);
        onChanged(updated);
        // The button goes away; keep keyboard focus on this alert, not the page top.
        itemRef.current?.focus();
      },
      (err: unknown) => {
        setPending(false);
        if (err instanceof SessionExpiredError) return;
        if (err instanceof ApiError && err.status === 409) {
          setError(`Not ${action}d: ${err.detail}`);
          onConflict();
        } else {
          setError(err instanceof ApiError ? err.detail : `Could not ${action}`);
        }
      },
    );
  };

  return (
    <li
      ref={itemRef}
      tabIndex={-1}
      data-testid="alert-item"
      data-alert-id={alert.id}
      data-status={alert.status}
      data-severity={alert.severity}
      className={`relative flex gap-3 overflow-hidden rounded-lg border bg-slate-900 py-3 pr-3 pl-4 ${
        alert.status === "new" ? "border-slate-600" : "border-slate-800 opacity-90"
      } ${entry.fresh ? "alert-fresh" : ""}`}
    >
      <span aria-hidden="true" className={`absolute inset-y-0 left-0 w-1.5 ${severity.bar}`} />
      <Thumbnail alert={alert} displayAspect={displayAspect} />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <SeverityBadge severity={alert.severity} />
          <Pill tone={status.tone}>{status.label}</Pill>
          {alert.escalation_level > 0 && (
            <span data-testid="alert-escalated" className="text-sm font-bold text-red-300">
              Escalated
            </span>
          )}
        </div>
        <h3 className="mt-1 text-lg leading-snug font-semibold text-white">{alert.title}</h3>
        <p className="truncate text-base text-slate-300" title={alert.rule_name ?? undefined}>
          {alert.camera_name}
          {alert.rule_name !== null && <span className="text-slate-500"> · {alert.rule_name}</span>}
        </p>
        {createdMs !== null && (
          <p className="text-base text-slate-400 tabular-nums">
            <time dateTime={alert.created_at} title={formatFull(createdMs)}>
              {formatRelative(createdMs, nowMs)} · {formatAbsolute(createdMs, nowMs)}
            </time>
          </p>
        )}
        {alert.status !== "new" && alert.acknowledged_at !== null && (
          <p className="mt-1 text-base text-sky-200">
            Acknowledged by {alert.acknowledged_by ?? "unknown"}
            {ackMs !== null && (
              <>
                {" at "}
                <time dateTime={alert.acknowledged_at} title={formatFull(ackMs)}>
                  {formatAbsolute(ackMs, nowMs)}
                </time>
              </>
            )}
          </p>
        )}
        {alert.assigned_to && (
          <p className="text-base text-slate-300">Assigned to {alert.assigned_to}</p>
        )}
        {alert.status === "new" && canAcknowledge && (
          <button
            type="button"
            data-testid="alert-ack"
            onClick={() => {
              change("acknowledge");
            }}
            disabled={pending}
            className="mt-2 rounded-md bg-amber-400 px-4 py-2 text-base font-bold text-black hover:bg-amber-300 disabled:cursor-wait disabled:opacity-60"
          >
            {pending ? "Acknowledging…" : "Acknowledge"}
          </button>
        )}
        {alert.status === "acknowledged" && canAcknowledge && (
          <button
            type="button"
            data-testid="alert-resolve"
            onClick={() => {
              change("resolve");
            }}
            disabled={pending}
            className="mt-2 rounded-md bg-slate-600 px-4 py-2 text-base font-bold text-white hover:bg-slate-500 disabled:cursor-wait disabled:opacity-60"
          >
            {pending ? "Resolving…" : "Resolve"}
          </button>
        )}
        {error !== null && (
          <p role="alert" className="mt-2 text-base font-semibold text-red-300">
            {error}
          </p>
        )}
        {children}
      </div>
    </li>
  );
}

function Thumbnail({ alert, displayAspect }: { alert: Alert; displayAspect: number | null }) {
  const image = useAuthedImage(alert.snapshot_url);
  const dialogRef = useRef<HTMLDialogElement>(null);
  if (alert.snapshot_url === null) return null;
  const label = `Snapshot of ${alert.title} on ${alert.camera_name}`;
  // Same rule as the camera tiles: the camera's display aspect, the picture stretched to fill.
  const aspect =
    pictureAspect(displayAspect, image.naturalWidth, image.naturalHeight) ?? DEFAULT_ASPECT;
  return (
    <>
      <button
        type="button"
        onClick={() => dialogRef.current?.showModal()}
        disabled={image.url === null}
        aria-label={`Enlarge snapshot: ${alert.title}`}
        style={{ aspectRatio: aspect }}
        className="grid w-28 shrink-0 place-items-center self-start overflow-hidden rounded bg-black sm:w-36"
      >
        {image.url !== null ? (
          <img src={image.url} alt={label} className="size-full object-fill" />
        ) : (
          <span className="text-xs text-slate-500">{image.missing ? "No snapshot" : "…"}</span>
        )}
      </button>
      <dialog
        ref={dialogRef}
        className="m-auto max-h-[90vh] max-w-[min(95vw,1200px)] rounded-lg border border-slate-600 bg-slate-950 p-0 text-slate-100 backdrop:bg-black/80"
        onClick={(event) => {
          if (event.target === event.currentTarget) event.currentTarget.close();
        }}
      >
        <div className="flex items-center justify-between gap-4 px-4 py-2">
          <p className="text-lg font-semibold">
            {alert.title} · {alert.camera_name}
          </p>
          <form method="dialog">
            <button
              type="submit"
              className="rounded-md bg-slate-700 px-3 py-1.5 text-base font-semibold hover:bg-slate-600"
            >
              Close
            </button>
          </form>
        </div>
        {/* As wide as the dialog allows and no taller than 80vh, at the display aspect. */}
        {image.url !== null && (
          <img
            src={image.url}
            alt={label}
            style={{
              aspectRatio: aspect,
              width: `min(95vw - 2px, 1200px, 80vh * ${aspect.toFixed(4)})`,
            }}
            className="block h-auto object-fill"
          />
        )}
      </dialog>
    </>
  );
}
