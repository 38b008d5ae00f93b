import { useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import type { Camera, Role, UserAccount, UserUpdate } from "../api/types.ts";
import { Pill } from "../components/Pill.tsx";
import {
  BUTTON_DANGER,
  BUTTON_PRIMARY,
  BUTTON_SECONDARY,
  LABEL,
} from "../components/formStyles.ts";
import { ConfirmDialog } from "../components/ConfirmDialog.tsx";
import { Checkbox, TextInput } from "../components/inputs.tsx";
import { useApi } from "../context.ts";
import { CameraChoice, InlineError, RoleSelect, USERS_KEY, useServerCall } from "./common.tsx";

function sameScope(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

type Confirming = "delete" | "reset-mfa" | null;

/** One account: summary, and (on "Edit") role, active, cameras, password, two-factor, delete. */
export function UserRow({
  user,
  isSelf,
  cameras,
}: {
  user: UserAccount;
  isSelf: boolean;
  cameras: Camera[] | undefined;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState<Role>(user.role);
  const [active, setActive] = useState(user.is_active);
  const [scope, setScope] = useState<string[] | null>(user.cameras);
  const [password, setPassword] = useState("");
  const [confirming, setConfirming] = useState<Confirming>(null);
  const { busy, error, setError, run: call } = useServerCall();
  const [done, setDone] = useState<string | null>(null);
  const editorId = `user-edit-${user.id}`;

  const openEditor = () => {
    setRole(user.role);
    setActive(user.is_active);
    setScope(user.cameras);
    setPassword("");
    setConfirming(null);
    setError(null);
    setDone(null);
    setEditing(true);
  };

  const run = (action: () => Promise<unknown>, success: string) => {
    call(
      () => {
        setDone(null);
        return action();
      },
      {
        settled: () => {
          setConfirming(null);
        },
        done: () => {
          setPassword("");
          setDone(success);
          void queryClient.invalidateQueries({ queryKey: USERS_KEY });
        },
        refused: "The server refused the change",
      },
    );
  };

  const save = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const changes: UserUpdate = {};
    if (role !== user.role) changes.role = role;
    if (active !== user.is_active) changes.is_active = active;
    if (!sameScope(scope, user.cameras)) {
      if (scope === null) changes.all_cameras = true;
      else changes.cameras = scope;
    }
    if (Object.keys(changes).length === 0) {
      setDone("Nothing to save.");
      return;
    }
    run(() => api.updateUser(user.id, changes), "Saved.");
  };

  const resetPassword = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    run(() => api.updateUser(user.id, { password }), "Password changed.");
  };

  return (
    <li
      data-testid="user-row"
      data-username={user.username}
      className="rounded-xl border border-slate-700 bg-slate-900 p-3 sm:p-4"
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="text-lg font-semibold break-all text-white">{user.username}</span>
        {isSelf && <span className="text-sm text-slate-400">(you)</span>}
        <span className="rounded bg-slate-800 px-1.5 py-0.5 text-sm text-slate-200 capitalize">
          {user.role}
        </span>
        {user.is_active ? <Pill tone="good">Active</Pill> : <Pill tone="muted">Disabled</Pill>}
        {user.mfa_enabled ? (
          <Pill tone="info">Two-factor on</Pill>
        ) : (
          <Pill tone="warn">Two-factor off</Pill>
        )}
        <span className="text-sm text-slate-300">
          {user.cameras === null
            ? "All cameras"
            : user.cameras.length === 0
              ? "No cameras"
              : `Cameras: ${user.cameras.join(", ")}`}
        </span>
        <button
          type="button"
          aria-expanded={editing}
          aria-controls={editorId}
          onClick={() => {
            if (editing) setEditing(false);
            else openEditor();
          }}
          className={`ml-auto ${BUTTON_SECONDARY}`}
        >
          {editing ? "Close" : "Edit"}
          <span className="sr-only"> {user.username}</span>
        </button>
      </div>
      {!editing && <InlineError error={error} />}
      {editing && (
        <div id={editorId} className="mt-4 space-y-5 border-t border-slate-700 pt-4">
          <form onSubmit={save} className="space-y-4" aria-label={`Access of ${user.username}`}>
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <RoleSelect value={role} onChange={setRole} />
              <label className="flex items-center gap-2 self-end pb-2 text-base text-slate-100">
                <Checkbox checked={active} onChange={setActive} />
                Active (may sign in)
              </label>
            </div>
            <CameraChoice cameras={cameras} value={scope} onChange={setScope} />
            <button type="submit" disabled={busy} className={BUTTON_PRIMARY}>
              Save changes
            </button>
          </form>

          <form
            onSubmit={resetPassword}
            className="flex flex-wrap items-end gap-3"
            aria-label={`New password for ${user.username}`}
          >
            <label className={`min-w-56 flex-1 ${LABEL}`}>
              New password (at least 12 characters)
              <TextInput
                type="password"
                required
                minLength={12}
                autoComplete="new-password"
                value={password}
                onChange={setPassword}
              />
            </label>
            <button type="submit" disabled={busy} className={BUTTON_SECONDARY}>
              Reset password
            </button>
          </form>

          <div className="flex flex-wrap gap-3">
            {user.mfa_enabled && confirming !== "reset-mfa" && (
              <button
                type="button"
                onClick={() => {
                  setConfirming("reset-mfa");
                }}
                className={BUTTON_SECONDARY}
              >
                Reset two-factor…
              </button>
            )}
            {confirming !== "delete" && (
              <button
                type="button"
                onClick={() => {
                  setConfirming("delete");
                }}
                className={BUTTON_DANGER}
              >
                Delete user…
              </button>
            )}
          </div>
          {confirming !== null && (
            <ConfirmDialog
              question={
                confirming === "delete"
                  ? `Delete ${user.username}? This cannot be undone.`
                  : `Turn two-factor sign-in off for ${user.username}? They will sign in with a password only until they enrol again.`
              }
              confirmLabel={confirming === "delete" ? "Yes, delete" : "Yes, reset two-factor"}
              busy={busy}
              onConfirm={() => {
                if (confirming === "delete") {
                  run(() => api.deleteUser(user.id), "Deleted.");
                } else {
                  run(() => api.updateUser(user.id, { reset_mfa: true }), "Two-factor reset.");
                }
              }}
              onCancel={() => {
                setConfirming(null);
              }}
            />
          )}
          <InlineError error={error} />
          {done !== null && (
            <p role="status" className="text-base font-medium text-emerald-300">
              {done}
            </p>
          )}
        </div>
      )}
    </li>
  );
}
