import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useContext, useId, useState, type SubmitEvent } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import type { Alert, Role } from "../../api/types.ts";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, INPUT } from "../../components/formStyles.ts";
import { useApi } from "../../context.ts";
import { formatFull, parseTimeMs } from "../../lib/time.ts";
import { VideoNavigationContext } from "../../video/navigation.ts";
import { ErrorLine, errorText } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";

/** Assignment and the notes thread of one alert (under its card in the alerts view). */
interface ActionsProps {
  alert: Alert;
  role: Role;
  username: string;
  onChanged: (alert: Alert) => void;
}

export function AlertActions({ alert, role, username, onChanged }: ActionsProps) {
  const canChange = role !== "viewer";
  // Absent outside the dashboard (component tests): no playback link then.
  const video = useContext(VideoNavigationContext);
  return (
    <div className="mt-3 space-y-3">
      {video !== null && (
        <button
          type="button"
          data-testid="alert-play"
          className={BUTTON_SECONDARY}
          onClick={() => {
            video.openPlayback(alert.camera_id, alert.created_at);
          }}
        >
          Play recording
        </button>
      )}
      {canChange && alert.status !== "resolved" && (
        <Assign alert={alert} role={role} username={username} onChanged={onChanged} />
      )}
      <Notes alertId={alert.id} canWrite={canChange} />
    </div>
  );
}

function Assign({ alert, role, username, onChanged }: ActionsProps) {
  const api = useApi();
  const views = useViewsApi();
  const selectId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Only admins may list the accounts; operators assign themselves.
  const users = useQuery({
    queryKey: ["users"],
    queryFn: ({ signal }) => api.users(signal),
    enabled: role === "admin",
    staleTime: 60_000,
  });
  const assign = (who: string | null) => {
    setBusy(true);
    setError(null);
    views.assign(alert.id, who).then(
      (updated) => {
        setBusy(false);
        onChanged(updated);
      },
      (err: unknown) => {
        setBusy(false);
        if (!(err instanceof SessionExpiredError)) setError(errorText(err, "Could not assign"));
      },
    );
  };
  const assigned = alert.assigned_to ?? null;
  const mine = assigned === username;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {role === "admin" ? (
        <>
          <label htmlFor={selectId} className="text-base text-slate-300">
            Assign to
          </label>
          <select
            id={selectId}
            data-testid="alert-assign-select"
            value={assigned ?? ""}
            disabled={busy || users.data === undefined}
            onChange={(e) => {
              assign(e.target.value === "" ? null : e.target.value);
            }}
            className="rounded-md border border-slate-600 bg-slate-950 px-2 py-1.5 text-base text-white"
          >
            <option value="">Nobody</option>
            {users.data
              ?.filter((u) => u.is_active && u.role !== "viewer")
              .map((u) => (
                <option key={u.id} value={u.username}>
                  {u.username} ({u.role})
                </option>
              ))}
          </select>
        </>
      ) : (
        <button
          type="button"
          data-testid={mine ? "alert-unassign" : "alert-assign-me"}
          disabled={busy}
          onClick={() => {
            assign(mine ? null : username);
          }}
          className={BUTTON_SECONDARY}
        >
          {mine ? "Unassign me" : "Assign to me"}
        </button>
      )}
      <ErrorLine error={error} className="text-base" />
    </div>
  );
}

function Notes({ alertId, canWrite }: { alertId: string; canWrite: boolean }) {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const key = ["alert-notes", alertId];
  const notes = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => views.notes(alertId, signal),
    enabled: open,
  });
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const body = text.trim();
    if (body === "" || busy) return;
    setBusy(true);
    setError(null);
    views.addNote(alertId, body).then(
      () => {
        setBusy(false);
        setText("");
        void queryClient.invalidateQueries({ queryKey: key });
      },
      (err: unknown) => {
        setBusy(false);
        if (!(err instanceof SessionExpiredError))
          setError(errorText(err, "Could not add the note"));
      },
    );
  };
  return (
    <details
      className="rounded-md border border-slate-700"
      onToggle={(e) => {
        setOpen(e.currentTarget.open);
      }}
    >
      <summary
        data-testid="alert-notes-toggle"
        className="cursor-pointer px-3 py-1.5 text-base font-semibold text-slate-200"
      >
        Notes{notes.data !== undefined && ` (${String(notes.data.length)})`}
      </summary>
      <div className="space-y-2 px-3 pb-3">
        {notes.isPending && open && <p className="text-slate-400">Loading notes…</p>}
        {notes.isError && (
          <p role="alert" className="text-red-300">
            Could not load notes: {errorText(notes.error, "the server did not answer")}
          </p>
        )}
        {notes.data?.length === 0 && <p className="text-slate-400">No notes yet.</p>}
        <ol className="space-y-2">
          {notes.data?.map((note) => {
            const ms = parseTimeMs(note.created_at);
            return (
              <li key={note.id} data-testid="alert-note" className="rounded bg-slate-800 px-3 py-2">
                <p className="text-sm text-slate-400">
                  {note.author}
                  {ms !== null && ` · ${formatFull(ms)}`}
                </p>
                <p className="text-base whitespace-pre-wrap text-slate-100">{note.body}</p>
              </li>
            );
          })}
        </ol>
        {canWrite && (
          <form onSubmit={submit} className="space-y-2">
            <label htmlFor={inputId} className="sr-only">
              New note
            </label>
            <textarea
              id={inputId}
              data-testid="alert-note-input"
              value={text}
              maxLength={4000}
              rows={2}
              placeholder="Add a note for the next shift…"
              onChange={(e) => {
                setText(e.target.value);
              }}
              className={INPUT}
            />
            <button
              type="submit"
              data-testid="alert-note-submit"
              disabled={busy || text.trim() === ""}
              className={BUTTON_PRIMARY}
            >
              {busy ? "Adding…" : "Add note"}
            </button>
            <ErrorLine error={error} className="text-base" />
          </form>
        )}
      </div>
    </details>
  );
}
