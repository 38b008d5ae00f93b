import { useEffect, useRef, useState, type ReactNode, type SubmitEvent } from "react";
import { ApiError } from "../api/client.ts";
import type { Camera, Role } from "../api/types.ts";
import { CARD, ERROR_BOX, LABEL } from "../components/formStyles.ts";
import { Checkbox, type Option, Select, toggled } from "../components/inputs.tsx";
import { parseTimeMs } from "../lib/time.ts";

/** React Query key of the user list (`GET /users`). */
export const USERS_KEY = ["users"] as const;

export const ROLES: readonly Role[] = ["admin", "operator", "viewer"];

export const ROLE_HELP: Record<Role, string> = {
  admin: "Admin — full access",
  operator: "Operator — cameras and alerts",
  viewer: "Viewer — watch only",
};

export function errorText(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.detail : fallback;
}

const timestamp = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Local date and time of an ISO timestamp; "—" when there is none. */
export function formatTimestamp(iso: string | null): string {
  const ms = parseTimeMs(iso);
  return ms === null ? "—" : timestamp.format(ms);
}

/**
 * Busy and error state of a form's server calls, one at a time: `run` does nothing while a call is
 * in flight; when it settles, `settled` runs (either way), then `done` with its answer, or the error
 * is shown as `errorText(err, refused)`.
 */
export function useServerCall() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = <T,>(
    call: () => Promise<T>,
    { done, refused, settled }: { done: (value: T) => void; refused: string; settled?: () => void },
  ) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    call().then(
      (value) => {
        setBusy(false);
        settled?.();
        done(value);
      },
      (err: unknown) => {
        setBusy(false);
        settled?.();
        setError(errorText(err, refused));
      },
    );
  };
  return { busy, error, setError, run };
}

/** A create form on a card, named by its own `<h2>` (`aria-labelledby`). */
export function CardForm({
  headingId,
  title,
  onSubmit,
  children,
}: {
  headingId: string;
  title: string;
  onSubmit: (event: SubmitEvent<HTMLFormElement>) => void;
  children: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit} aria-labelledby={headingId} className={CARD}>
      <h2 id={headingId} className="mb-3 text-xl font-semibold text-white">
        {title}
      </h2>
      {children}
    </form>
  );
}

/** The page's title; focused when the page opens, so keyboard and reader users start here. */
export function PageHeading({ children, intro }: { children: ReactNode; intro?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <div className="mb-4">
      <h1 ref={ref} tabIndex={-1} className="text-2xl font-bold text-white">
        {children}
      </h1>
      {intro !== undefined && <p className="mt-1 text-base text-slate-300">{intro}</p>}
    </div>
  );
}

export function InlineError({ error }: { error: string | null }) {
  if (error === null) return null;
  return (
    <p role="alert" className={`mt-3 ${ERROR_BOX}`}>
      {error}
    </p>
  );
}

export function RoleSelect({
  value,
  onChange,
  label = "Role",
}: {
  value: Role;
  onChange: (role: Role) => void;
  label?: string;
}) {
  return (
    <label className={LABEL}>
      {label}
      <Select
        value={value}
        options={ROLES.map((role): Option<Role> => [role, ROLE_HELP[role]])}
        onChange={onChange}
      />
    </label>
  );
}

/** Camera scope: every camera (null), or the ones ticked. */
export function CameraChoice({
  cameras,
  value,
  onChange,
}: {
  cameras: Camera[] | undefined;
  value: string[] | null;
  onChange: (value: string[] | null) => void;
}) {
  const all = value === null;
  return (
    <fieldset className="rounded-md border border-slate-700 p-3">
      <legend className="px-1 text-base font-medium text-slate-200">Cameras</legend>
      <label className="flex items-center gap-2 text-base text-slate-100">
        <Checkbox
          checked={all}
          onChange={(on) => {
            onChange(on ? null : []);
          }}
        />
        All cameras (including ones added later)
      </label>
      {!all && (
        <div className="mt-2 grid grid-cols-1 gap-1 sm:grid-cols-2">
          {cameras === undefined && <p className="text-slate-400">Loading cameras…</p>}
          {cameras?.map((camera) => (
            <label key={camera.id} className="flex items-center gap-2 text-base text-slate-100">
              <Checkbox
                checked={value.includes(camera.id)}
                onChange={(on) => {
                  onChange(toggled(value, camera.id, on));
                }}
              />
              {camera.name} <span className="text-sm text-slate-400">({camera.id})</span>
            </label>
          ))}
          {value.length === 0 && (
            <p className="text-sm text-amber-200 sm:col-span-2">
              No camera ticked: this user will see no cameras.
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
