import { useId, useState, type KeyboardEvent, type SubmitEvent } from "react";
import type { Camera } from "../../api/types.ts";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, CARD } from "../../components/formStyles.ts";
import { Checkbox, Select, TextInput, type Option } from "../../components/inputs.tsx";
import { useApi } from "../../context.ts";
import { SessionExpiredError } from "../../api/client.ts";
import { DoneLine, ErrorLine, errorText, Field } from "../common.tsx";
import { errorAt, type FieldErrors } from "../fieldErrors.ts";
import {
  cameraFields,
  createBody,
  formProbe,
  formProblems,
  hasStoredPassword,
  NEW_CAMERA,
  saveErrors,
  shownUrl,
  updateBody,
  withCredentialsMoved,
  type CameraFields,
  type DisplayAspect,
  type SourceKind,
} from "./cameraForm.ts";
import { createCamera, testCamera, testConnection, updateCamera } from "../../api/cameras.ts";
import { ProbeOutcome, useProbe } from "./CameraProbe.tsx";

const STREAMS: readonly Option<"0" | "1">[] = [
  ["0", "Main stream"],
  ["1", "Sub stream"],
];
const ASPECTS: readonly Option<DisplayAspect>[] = [
  ["auto", "Automatic (DVR half-width pictures at 16:9)"],
  ["16:9", "16:9"],
  ["4:3", "4:3"],
  ["native", "As sent"],
];
const CHANNEL_FIELDS = ["id", "name", "channel", "stream", "display_aspect"];
const URL_FIELDS = ["id", "name", "url", "username", "display_aspect"];
const SOURCES: readonly (readonly [SourceKind, string])[] = [
  ["channel", "DVR channel"],
  ["url", "RTSP URL"],
];

/**
 * Add a camera, or edit one added here (`editing`): a DVR channel of the site's DVR or an
 * RTSP URL with its own user name and password (a password field; the stored password is
 * never sent to the browser). "Test" probes what the form holds before saving.
 */
export function CameraForm({
  editing,
  onDone,
  onCancel,
}: {
  editing: Camera | null;
  /** Saved: `message` says what happened. */
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const [fields, setFields] = useState<CameraFields>(
    editing === null ? NEW_CAMERA : cameraFields(editing),
  );
  const [problems, setProblems] = useState<FieldErrors>({});
  const [unchanged, setUnchanged] = useState<string | null>(null);
  const request = useSave(editing === null);
  const probe = useProbe();
  const [probeProblem, setProbeProblem] = useState<string | null>(null);
  const base = useId();
  const ids = {
    id: `${base}-id`,
    name: `${base}-name`,
    channel: `${base}-channel`,
    stream: `${base}-stream`,
    url: `${base}-url`,
    username: `${base}-user`,
    password: `${base}-password`,
    aspect: `${base}-aspect`,
    heading: `${base}-heading`,
  };
  const set = (patch: Partial<CameraFields>) => {
    setFields((f) => ({ ...f, ...patch }));
    setUnchanged(null);
    // A result of other settings than those on screen would mislead.
    if (!("name" in patch || "id" in patch || "enabled" in patch)) {
      probe.clear();
      setProbeProblem(null);
    }
  };
  const errors: FieldErrors = { ...request.errors, ...problems };
  const at = (path: string) => errorAt(errors, path);
  /** A field's invalid state, and the error that describes it, for assistive technology. */
  const invalid = (name: keyof typeof ids) => ({
    "aria-invalid": at(name) !== null,
    "aria-describedby": at(name) !== null ? `${ids[name]}-error` : undefined,
  });
  /** The props that tie a text field to `fields[name]`: id, test id, invalid state, value, change. */
  const textField = (name: "id" | "name" | "channel" | "url" | "username") => ({
    id: ids[name],
    "data-testid": `camera-form-${name}`,
    ...invalid(name),
    value: fields[name],
    onChange: (value: string) => {
      set({ [name]: value });
    },
  });
  const shown = fields.kind === "channel" ? CHANNEL_FIELDS : URL_FIELDS;
  const storedPassword = hasStoredPassword(editing);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    // Enter in the URL field submits without leaving it: move its credentials first.
    const ready = withCredentialsMoved(fields);
    setFields(ready);
    const checked = formProblems(ready);
    setProblems(checked);
    if (Object.keys(checked).length > 0 || request.busy) return;
    if (editing === null) {
      request.send(
        () => createCamera(api, createBody(ready)),
        "Could not add the camera",
        (camera) => {
          onDone(`Camera ${camera.name} added; it connects within a few seconds.`);
        },
      );
      return;
    }
    const body = updateBody(editing, ready);
    if (Object.keys(body).length === 0) {
      setUnchanged("Nothing changed.");
      return;
    }
    request.send(
      () => updateCamera(api, editing.id, body),
      `Could not save ${editing.name}`,
      (camera) => {
        onDone(`Camera ${camera.name} saved.`);
      },
    );
  };
  const test = () => {
    const ready = withCredentialsMoved(fields);
    setFields(ready);
    const what = formProbe(ready, editing);
    setProbeProblem("problem" in what ? what.problem : null);
    if ("request" in what) probe.run(() => testConnection(api, what.request));
    else if ("stored" in what) probe.run(() => testCamera(api, what.stored));
  };
  const escape = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === "Escape") onCancel();
  };
  // Errors of fields the form shows are shown there; the rest (or the verdict) on one line.
  const fieldless = leftOver(request.errors, shown) ?? request.error;

  return (
    <form
      onSubmit={submit}
      onKeyDown={escape}
      aria-labelledby={ids.heading}
      data-testid="camera-form"
      data-mode={editing === null ? "add" : "edit"}
      noValidate
      className={CARD}
    >
      <h3 id={ids.heading} className="mb-3 text-lg font-semibold text-white">
        {editing === null ? "Add a camera" : `Edit ${editing.name}`}
      </h3>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <Field
          id={ids.id}
          label="Id (lower-case letters, digits, - or _)"
          error={at("id")}
          className="min-w-0"
        >
          <TextInput
            {...textField("id")}
            required
            autoFocus={editing === null}
            readOnly={editing !== null}
            autoComplete="off"
            spellCheck={false}
            pattern="[a-z0-9][a-z0-9_\-]{0,62}"
          />
        </Field>
        <Field id={ids.name} label="Name" error={at("name")} className="min-w-0">
          <TextInput
            {...textField("name")}
            required
            autoFocus={editing !== null}
            autoComplete="off"
          />
        </Field>
      </div>
      <fieldset className="mt-4">
        <legend className="text-base font-medium text-slate-200">Video from</legend>
        <div className="mt-1 flex flex-wrap gap-x-6 gap-y-2">
          {SOURCES.map(([kind, text]) => (
            <label key={kind} className="flex items-center gap-2 text-base text-slate-100">
              <input
                type="radio"
                name={`${base}-kind`}
                data-testid={`camera-form-kind-${kind}`}
                className="size-5 accent-amber-400"
                checked={fields.kind === kind}
                onChange={() => {
                  set({ kind });
                }}
              />
              {text}
            </label>
          ))}
        </div>
      </fieldset>
      {fields.kind === "channel" ? (
        <div className="mt-3 grid grid-cols-1 gap-4 sm:grid-cols-2">
          <Field
            id={ids.channel}
            label="Channel (the DVR's address and password come from site.yaml)"
            error={at("channel")}
            className="min-w-0"
          >
            <TextInput {...textField("channel")} inputMode="numeric" required />
          </Field>
          <Field id={ids.stream} label="Stream" error={at("stream")} className="min-w-0">
            <Select
              id={ids.stream}
              data-testid="camera-form-stream"
              value={fields.stream}
              options={STREAMS}
              onChange={(stream) => {
                set({ stream });
              }}
            />
          </Field>
        </div>
      ) : (
        <div className="mt-3 grid grid-cols-1 gap-4 sm:grid-cols-2">
          <Field
            id={ids.url}
            label="RTSP URL (rtsp://host:554/path; a password typed in it moves to the password field)"
            error={at("url")}
            className="min-w-0 sm:col-span-2"
          >
            <TextInput
              {...textField("url")}
              type="url"
              required
              autoComplete="off"
              spellCheck={false}
              placeholder="rtsp://192.168.29.31:554/stream1"
              onBlur={() => {
                setFields(withCredentialsMoved);
              }}
            />
          </Field>
          <Field id={ids.username} label="User name" error={at("username")} className="min-w-0">
            <TextInput {...textField("username")} autoComplete="off" spellCheck={false} />
          </Field>
          <Field
            id={ids.password}
            label={storedPassword ? "Password (empty: keep the stored one)" : "Password"}
            className="min-w-0"
          >
            <TextInput
              id={ids.password}
              data-testid="camera-form-password"
              type="password"
              autoComplete="new-password"
              placeholder={storedPassword ? "stored, not shown" : undefined}
              value={fields.password}
              onChange={(password) => {
                set({ password });
              }}
            />
          </Field>
        </div>
      )}
      <div className="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-2">
        <Field id={ids.aspect} label="Picture shape" error={at("display_aspect")}>
          <Select<DisplayAspect>
            id={ids.aspect}
            data-testid="camera-form-aspect"
            value={fields.displayAspect}
            options={ASPECTS}
            onChange={(displayAspect) => {
              set({ displayAspect });
            }}
          />
        </Field>
        <label className="flex items-center gap-2 self-end pb-2 text-base text-slate-100">
          <Checkbox
            data-testid="camera-form-enabled"
            checked={fields.enabled}
            onChange={(enabled) => {
              set({ enabled });
            }}
          />
          Enabled (recorded and analysed)
        </label>
      </div>
      {fields.kind === "url" && fields.url !== "" && (
        <p className="mt-3 text-sm break-all text-slate-400">
          Connects to {shownUrl(fields, editing)}
        </p>
      )}
      <div className="mt-4 space-y-2" aria-live="polite">
        {probeProblem !== null && (
          <p role="alert" className="font-semibold text-amber-200">
            {probeProblem}
          </p>
        )}
        <ProbeOutcome outcome={probe.outcome} testId="camera-form-test-result" />
        <ErrorLine error={fieldless} />
        <DoneLine text={unchanged} />
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="submit"
          data-testid="camera-form-save"
          disabled={request.busy}
          className={BUTTON_PRIMARY}
        >
          {request.busy ? "Saving…" : editing === null ? "Add camera" : "Save camera"}
        </button>
        <button
          type="button"
          data-testid="camera-form-test"
          disabled={probe.busy}
          onClick={test}
          className={BUTTON_SECONDARY}
        >
          {probe.busy ? "Testing…" : "Test"}
        </button>
        <button
          type="button"
          data-testid="camera-form-cancel"
          onClick={onCancel}
          className={BUTTON_SECONDARY}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Field errors at paths the form has no place for, as one line; null if none. */
function leftOver(errors: FieldErrors, shown: readonly string[]): string | null {
  const rest = Object.entries(errors)
    .filter(([path]) => !shown.some((p) => path === p || path.startsWith(`${p}.`)))
    .map(([path, message]) => (path === "" ? message : `${path}: ${message}`));
  return rest.length === 0 ? null : rest.join("; ");
}

/** A save request: a second submit is ignored while one is in flight; a refusal keeps its
 * field errors (`saveErrors`) and the verdict in words. */
function useSave(creating: boolean): {
  busy: boolean;
  errors: FieldErrors;
  error: string | null;
  send: (request: () => Promise<Camera>, fallback: string, onDone: (c: Camera) => void) => void;
} {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const send = (request: () => Promise<Camera>, fallback: string, onDone: (c: Camera) => void) => {
    if (busy) return;
    setBusy(true);
    setErrors({});
    setError(null);
    request().then(
      (camera) => {
        setBusy(false);
        onDone(camera);
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof SessionExpiredError) return;
        const found = saveErrors(err, creating);
        setErrors(found);
        setError(Object.keys(found).length > 0 ? null : errorText(err, fallback));
      },
    );
  };
  return { busy, errors, error, send };
}
