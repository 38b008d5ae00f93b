import type { ReactNode } from "react";
import { ApiError } from "../api/client.ts";
import { ERROR_BOX } from "../components/formStyles.ts";

export function errorText(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.detail : fallback;
}

/**
 * Loading, failed and empty states of one query, in words; renders `children` once there is
 * something to show.
 */
export function QueryState({
  what,
  isPending,
  error,
  isEmpty,
  empty,
  onRetry,
  children,
}: {
  /** e.g. "events" → "Loading events…", "Could not load events: …". */
  what: string;
  isPending: boolean;
  error: unknown;
  isEmpty: boolean;
  empty: ReactNode;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  if (error !== null && error !== undefined) {
    return (
      <div role="alert" className={`flex flex-wrap items-center gap-3 ${ERROR_BOX}`}>
        <span>
          Could not load {what}: {errorText(error, "the server did not answer")}
        </span>
        {onRetry !== undefined && (
          <button
            type="button"
            onClick={onRetry}
            className="rounded-md bg-red-800 px-3 py-1 font-semibold hover:bg-red-700"
          >
            Retry
          </button>
        )}
      </div>
    );
  }
  if (isPending) {
    return (
      <p role="status" className="text-base text-slate-400">
        Loading {what}…
      </p>
    );
  }
  if (isEmpty) {
    return (
      <p className="rounded-lg border border-slate-800 bg-slate-900 px-4 py-6 text-center text-lg text-slate-300">
        {empty}
      </p>
    );
  }
  return <>{children}</>;
}

/** A section of a view with its own heading. */
export function Section({
  id,
  title,
  intro,
  actions,
  children,
}: {
  id: string;
  title: string;
  intro?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={`${id}-heading`} className="mt-6 first:mt-0">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`${id}-heading`} className="text-xl font-semibold text-white">
          {title}
        </h2>
        {actions}
      </div>
      {intro !== undefined && <p className="mb-3 text-base text-slate-300">{intro}</p>}
      {children}
    </section>
  );
}

/** A field's error under it, tied to the input by `id` (aria-describedby). */
export function FieldError({ id, error }: { id: string; error: string | null }) {
  if (error === null) return null;
  return (
    <span
      id={id}
      data-testid="field-error"
      className="mt-1 block text-sm font-semibold text-red-300"
    >
      {error}
    </span>
  );
}

/** Local date (YYYY-MM-DD) of an epoch time, for <input type="date">. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(d.getFullYear())}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Start and end (exclusive) of a local day, as ISO-8601 UTC. */
export function dayRange(day: string): {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
} {
  const [y, m, d] = day.split("-").map(Number);
  const start = new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return {
    start: start.toISOString(),
    end: end.toISOString(),
    startMs: start.getTime(),
    endMs: end.getTime(),
  };
}
