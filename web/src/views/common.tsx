import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { SessionExpiredError } from "../api/client.ts";
import { errorText } from "../admin/common.tsx";
import { BUTTON_DANGER, BUTTON_SECONDARY, ERROR_BOX, LABEL } from "../components/formStyles.ts";
import { fieldErrorsOf, type FieldErrors } from "./fieldErrors.ts";

export { errorText };

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

/** A query's items as a list (`children` renders each), in `QueryState`'s words until there are some; `header` stands above the list. */
export function QueryList<T>({
  what,
  query,
  empty,
  header,
  children,
}: {
  what: string;
  query: {
    isPending: boolean;
    error: unknown;
    refetch: () => Promise<unknown>;
    data: T[] | undefined;
  };
  empty: ReactNode;
  header?: ReactNode;
  children: (item: T) => ReactNode;
}) {
  return (
    <QueryState
      what={what}
      {...queryStatus(query)}
      isEmpty={query.data?.length === 0}
      empty={empty}
    >
      {header}
      <ul className="space-y-2">{query.data?.map((item) => children(item))}</ul>
    </QueryState>
  );
}

/** A query's loading, failure and retry, as `QueryState` takes them. */
export function queryStatus(query: {
  isPending: boolean;
  error: unknown;
  refetch: () => Promise<unknown>;
}): { isPending: boolean; error: unknown; onRetry: () => void } {
  return { isPending: query.isPending, error: query.error, onRetry: () => void query.refetch() };
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

/** A label, the control it names (whose id must be `id`) and the control's error under it. */
export function Field({
  id,
  label,
  error = null,
  className,
  labelClassName = LABEL,
  children,
}: {
  id: string;
  label: ReactNode;
  error?: string | null;
  className?: string;
  labelClassName?: string;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={id} className={labelClassName}>
        {label}
      </label>
      {children}
      <FieldError id={`${id}-error`} error={error} />
    </div>
  );
}

/** A refused request, in words (role="alert"); nothing when there is none. */
export function ErrorLine({ error, className }: { error: string | null; className?: string }) {
  return (
    <Line role="alert" text={error} className={`${className ?? ""} font-semibold text-red-300`} />
  );
}

/** What a request did, in words (role="status"); nothing before it is done. */
export function DoneLine({ text, className }: { text: string | null; className?: string }) {
  return (
    <Line role="status" text={text} className={`${className ?? ""} font-medium text-emerald-300`} />
  );
}

function Line({ role, text, className }: { role: string; text: string | null; className: string }) {
  if (text === null) return null;
  return (
    <p role={role} className={className.trim()}>
      {text}
    </p>
  );
}

/** A danger button that asks `question` first and runs `onConfirm` only on yes. */
export function ConfirmButton({
  question,
  onConfirm,
  children,
  testId,
}: {
  question: string;
  onConfirm: () => void;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <button
      type="button"
      data-testid={testId}
      className={BUTTON_DANGER}
      onClick={() => {
        if (window.confirm(question)) onConfirm();
      }}
    >
      {children}
    </button>
  );
}

/** A stored row's Edit button, and its Delete button that asks `question` first. */
export function EditDelete({
  onEdit,
  question,
  onDelete,
  className = "flex gap-2",
}: {
  onEdit: () => void;
  question: string;
  onDelete: () => void;
  className?: string;
}) {
  return (
    <div className={className}>
      <button type="button" className={BUTTON_SECONDARY} onClick={onEdit}>
        Edit
      </button>
      <ConfirmButton question={question} onConfirm={onDelete}>
        Delete
      </ConfirmButton>
    </div>
  );
}

/**
 * Changes from a list (delete, turn on/off): `run` refreshes `queryKey` when the change is
 * done and keeps a failure as `error`, in words ("fallback" when the server gave none).
 */
export function useListChange(queryKey: QueryKey): {
  error: string | null;
  run: (change: Promise<unknown>, fallback: string) => void;
} {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const run = (change: Promise<unknown>, fallback: string) => {
    setError(null);
    change.then(
      () => void queryClient.invalidateQueries({ queryKey }),
      (err: unknown) => {
        if (!(err instanceof SessionExpiredError)) setError(errorText(err, fallback));
      },
    );
  };
  return { error, run };
}

/**
 * A form's request: `send` ignores a second submit while one is in flight, and on refusal keeps
 * the field errors and the verdict in words (`fallback` when the server gave none).
 */
export function useFormRequest(): {
  busy: boolean;
  errors: FieldErrors;
  error: string | null;
  clearErrors: () => void;
  send: <T>(request: () => Promise<T>, fallback: string, onDone: (value: T) => void) => void;
} {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const send = <T,>(request: () => Promise<T>, fallback: string, onDone: (value: T) => void) => {
    if (busy) return;
    setBusy(true);
    setErrors({});
    setError(null);
    request().then(
      (value) => {
        setBusy(false);
        onDone(value);
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof SessionExpiredError) return;
        setErrors(fieldErrorsOf(err));
        setError(errorText(err, fallback));
      },
    );
  };
  return {
    busy,
    errors,
    error,
    clearErrors: () => {
      setErrors({});
    },
    send,
  };
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
