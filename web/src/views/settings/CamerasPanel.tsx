import { useState, type SubmitEvent } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import type { Camera } from "../../api/types.ts";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, INPUT, LABEL } from "../../components/formStyles.ts";
import { useApi } from "../../context.ts";
import { errorText, Section } from "../common.tsx";
import {
  cameraSourceText,
  probeSummary,
  testCamera,
  testConnection,
  type ProbeRequest,
  type ProbeResult,
} from "./cameraTest.ts";

/** What a test came to: a result, or the reason the server refused to try. */
type Outcome = { result: ProbeResult } | { refused: string };

/** Runs one connection test at a time and keeps what it came to. */
function useProbe(): {
  busy: boolean;
  outcome: Outcome | null;
  run: (call: () => Promise<ProbeResult>) => void;
} {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const run = (call: () => Promise<ProbeResult>) => {
    setBusy(true);
    setOutcome(null);
    call().then(
      (result) => {
        setBusy(false);
        setOutcome({ result });
      },
      (err: unknown) => {
        setBusy(false);
        if (!(err instanceof SessionExpiredError))
          setOutcome({ refused: errorText(err, "the server did not answer") });
      },
    );
  };
  return { busy, outcome, run };
}

/** A test's result in words: resolution, codec and frame rate, or why it failed. */
export function ProbeOutcome({ outcome, testId }: { outcome: Outcome | null; testId: string }) {
  if (outcome === null) return null;
  if ("refused" in outcome) {
    return (
      <p
        role="alert"
        data-testid={testId}
        data-ok="false"
        className="mt-1 text-base font-semibold text-red-300"
      >
        Not tested: {outcome.refused}
      </p>
    );
  }
  const { result } = outcome;
  return (
    <p
      role="status"
      data-testid={testId}
      data-ok={String(result.ok)}
      title={result.target}
      className={`mt-1 text-base font-semibold ${result.ok ? "text-emerald-300" : "text-red-300"}`}
    >
      {probeSummary(result)}
    </p>
  );
}

/** The site's cameras, each with a "Test connection" button, and a form to test a DVR
 * channel or an RTSP URL before adding it to site.yaml (admins test; others read). */
export function CamerasPanel({ cameras, canTest }: { cameras: Camera[]; canTest: boolean }) {
  return (
    <Section
      id="cameras"
      title="Cameras"
      intro="Cameras come from site.yaml (cameras:); edit the file to add or change one."
    >
      {cameras.length === 0 ? (
        <p className="text-base text-slate-300">No cameras you may see.</p>
      ) : (
        <ul className="space-y-2">
          {cameras.map((camera) => (
            <CameraRow key={camera.id} camera={camera} canTest={canTest} />
          ))}
        </ul>
      )}
      {canTest && <ProbeForm />}
    </Section>
  );
}

function CameraRow({ camera, canTest }: { camera: Camera; canTest: boolean }) {
  const api = useApi();
  const { busy, outcome, run } = useProbe();
  return (
    <li
      data-testid="camera-row"
      data-camera-id={camera.id}
      data-source={camera.source ?? "config"}
      className="rounded-lg border border-slate-700 bg-slate-900 px-3 py-2"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div>
          <p className="text-base font-semibold text-white">
            {camera.name} <span className="font-normal text-slate-400">({camera.id})</span>
          </p>
          <p className="text-sm text-slate-300">
            {cameraSourceText(camera)} ·{" "}
            <span data-testid="camera-row-status" data-status={camera.status}>
              {camera.status.replace("_", " ")}
            </span>{" "}
            · {camera.source === "api" ? "added here" : "site.yaml"}
          </p>
        </div>
        {canTest && (
          <button
            type="button"
            data-testid="camera-test"
            disabled={busy}
            onClick={() => {
              run(() => testCamera(api, camera.id));
            }}
            className={BUTTON_SECONDARY}
          >
            {busy ? "Testing…" : "Test connection"}
          </button>
        )}
      </div>
      <ProbeOutcome outcome={outcome} testId="camera-test-result" />
    </li>
  );
}

function ProbeForm() {
  const api = useApi();
  const { busy, outcome, run } = useProbe();
  const [kind, setKind] = useState<"channel" | "url">("channel");
  const [channel, setChannel] = useState("1");
  const [stream, setStream] = useState<0 | 1>(0);
  const [url, setUrl] = useState("");
  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const request: ProbeRequest =
      kind === "channel" ? { channel: Number(channel), stream } : { url: url.trim() };
    run(() => testConnection(api, request));
  };
  return (
    <form
      data-testid="camera-probe-form"
      onSubmit={submit}
      className="mt-4 rounded-lg border border-slate-700 bg-slate-900 p-3"
    >
      <fieldset>
        <legend className="text-lg font-semibold text-white">Test a connection</legend>
        <div className="mt-2 flex flex-wrap gap-4" role="radiogroup" aria-label="What to test">
          {(
            [
              ["channel", "A DVR channel"],
              ["url", "An RTSP URL"],
            ] as const
          ).map(([value, text]) => (
            <label key={value} className="flex items-center gap-2 text-base text-slate-200">
              <input
                type="radio"
                name="camera-probe-kind"
                data-testid={`camera-probe-kind-${value}`}
                checked={kind === value}
                onChange={() => {
                  setKind(value);
                }}
              />
              {text}
            </label>
          ))}
        </div>
        {kind === "channel" ? (
          <div className="mt-2 grid gap-3 sm:grid-cols-2">
            <div>
              <label htmlFor="camera-probe-channel" className={LABEL}>
                Channel (uses the DVR's address and password from site.yaml)
              </label>
              <input
                id="camera-probe-channel"
                data-testid="camera-probe-channel"
                type="number"
                min={1}
                required
                value={channel}
                onChange={(e) => {
                  setChannel(e.target.value);
                }}
                className={INPUT}
              />
            </div>
            <div>
              <label htmlFor="camera-probe-stream" className={LABEL}>
                Stream
              </label>
              <select
                id="camera-probe-stream"
                data-testid="camera-probe-stream"
                value={String(stream)}
                onChange={(e) => {
                  setStream(e.target.value === "1" ? 1 : 0);
                }}
                className={INPUT}
              >
                <option value="0">Main stream</option>
                <option value="1">Sub stream</option>
              </select>
            </div>
          </div>
        ) : (
          <div className="mt-2">
            <label htmlFor="camera-probe-url" className={LABEL}>
              RTSP URL (rtsp://user:password@host:554/path; the password is not shown back)
            </label>
            <input
              id="camera-probe-url"
              data-testid="camera-probe-url"
              type="text"
              autoComplete="off"
              spellCheck={false}
              required
              placeholder="rtsp://192.168.29.31:554/stream1"
              value={url}
              onChange={(e) => {
                setUrl(e.target.value);
              }}
              className={INPUT}
            />
          </div>
        )}
        <button
          type="submit"
          data-testid="camera-probe-submit"
          disabled={busy}
          className={`mt-3 ${BUTTON_PRIMARY}`}
        >
          {busy ? "Testing…" : "Test connection"}
        </button>
      </fieldset>
      <ProbeOutcome outcome={outcome} testId="camera-probe-result" />
    </form>
  );
}
