import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import type { Camera } from "../../api/types.ts";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, LIST_ROW } from "../../components/formStyles.ts";
import { useApi } from "../../context.ts";
import { ConfirmButton, DoneLine, ErrorLine, Section, useListChange } from "../common.tsx";
import { deleteCamera, testCamera, updateCamera } from "../../api/cameras.ts";
import { CameraForm } from "./CameraForm.tsx";
import { ProbeOutcome, useProbe } from "./CameraProbe.tsx";
import { cameraSourceText } from "./cameraTest.ts";

/** The dashboard's camera list (polled); refreshed at once after a change here. */
const CAMERAS_KEY = ["cameras"] as const;

/**
 * The site's cameras with a "Test connection" button each; admins add cameras (a DVR channel
 * or an RTSP URL), and edit, turn off and delete the ones added here. Cameras from site.yaml
 * are shown read-only.
 */
export function CamerasPanel({ cameras, canEdit }: { cameras: Camera[]; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [editingId, setEditingId] = useState<string | null>(null);
  // The row whose form just closed: its Edit button takes the focus back.
  const [closedId, setClosedId] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const change = useListChange(CAMERAS_KEY);
  const addButton = useRef<HTMLButtonElement>(null);

  const refresh = () => void queryClient.invalidateQueries({ queryKey: CAMERAS_KEY });
  const closeAdd = (message: string | null) => {
    setAdding(false);
    if (message !== null) {
      setDone(message);
      refresh();
    }
    addButton.current?.focus();
  };
  const closeEdit = (message: string | null) => {
    setClosedId(editingId);
    setEditingId(null);
    if (message !== null) {
      setDone(message);
      refresh();
    }
  };

  return (
    <Section
      id="cameras"
      title="Cameras"
      intro={
        canEdit
          ? "Cameras added here start recording when saved; cameras from site.yaml change only in the file."
          : "The site's cameras (only admins add or change them)."
      }
      actions={
        canEdit && (
          <button
            ref={addButton}
            type="button"
            data-testid="camera-add"
            aria-expanded={adding}
            onClick={() => {
              setDone(null);
              if (adding) closeAdd(null);
              else setAdding(true);
            }}
            className={adding ? BUTTON_SECONDARY : BUTTON_PRIMARY}
          >
            {adding ? "Close the form" : "Add camera"}
          </button>
        )
      }
    >
      {adding && (
        <div className="mb-4">
          <CameraForm
            editing={null}
            onDone={closeAdd}
            onCancel={() => {
              closeAdd(null);
            }}
          />
        </div>
      )}
      <DoneLine text={done} className="mb-2" />
      <ErrorLine error={change.error} className="mb-2" />
      {cameras.length === 0 ? (
        <p className="text-base text-slate-300">No cameras you may see.</p>
      ) : (
        <ul className="space-y-2">
          {cameras.map((camera) =>
            camera.id === editingId ? (
              <li
                key={camera.id}
                data-testid="camera-row"
                data-camera-id={camera.id}
                data-source={camera.source}
                data-enabled={String(camera.enabled)}
              >
                <CameraForm
                  editing={camera}
                  onDone={closeEdit}
                  onCancel={() => {
                    closeEdit(null);
                  }}
                />
              </li>
            ) : (
              <CameraRow
                key={camera.id}
                camera={camera}
                canEdit={canEdit}
                focusEdit={camera.id === closedId}
                onEdit={() => {
                  setDone(null);
                  setEditingId(camera.id);
                }}
                onChange={change.run}
              />
            ),
          )}
        </ul>
      )}
    </Section>
  );
}

/** Where a camera is defined: "from site.yaml (cameras[0])" or "added here". */
export function originText(camera: Camera): string {
  if (camera.source === "api") return "added here";
  return camera.defined_in == null ? "from site.yaml" : `from site.yaml (${camera.defined_in})`;
}

function CameraRow({
  camera,
  canEdit,
  focusEdit,
  onEdit,
  onChange,
}: {
  camera: Camera;
  canEdit: boolean;
  /** Its form just closed: the Edit button takes the focus. */
  focusEdit: boolean;
  onEdit: () => void;
  /** Runs a change (turn on/off, delete) and refreshes the list. */
  onChange: (change: Promise<unknown>, fallback: string) => void;
}) {
  const api = useApi();
  const { busy, outcome, run } = useProbe();
  const { enabled } = camera;
  const editable = canEdit && camera.source === "api";
  return (
    <li
      data-testid="camera-row"
      data-camera-id={camera.id}
      data-source={camera.source}
      data-enabled={String(enabled)}
      className={LIST_ROW}
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="text-base font-semibold text-white">
            {camera.name} <span className="font-normal text-slate-400">({camera.id})</span>
          </p>
          <p className="text-sm break-all text-slate-300">
            {cameraSourceText(camera)} ·{" "}
            <span data-testid="camera-row-status" data-status={camera.status}>
              {camera.status.replace("_", " ")}
            </span>{" "}
            · {originText(camera)}
          </p>
        </div>
        {canEdit && (
          <div className="flex flex-wrap gap-2">
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
            {editable && (
              <>
                <button
                  type="button"
                  data-testid="camera-edit"
                  autoFocus={focusEdit}
                  onClick={onEdit}
                  className={BUTTON_SECONDARY}
                >
                  Edit
                </button>
                <button
                  type="button"
                  data-testid="camera-enable-toggle"
                  aria-label={`${enabled ? "Turn off" : "Turn on"} ${camera.name}`}
                  onClick={() => {
                    onChange(
                      updateCamera(api, camera.id, { enabled: !enabled }),
                      `Could not turn ${camera.name} ${enabled ? "off" : "on"}`,
                    );
                  }}
                  className={BUTTON_SECONDARY}
                >
                  {enabled ? "Turn off" : "Turn on"}
                </button>
                <ConfirmButton
                  testId="camera-delete"
                  question={`Delete the camera ${camera.name}? Its recordings and events are kept; recording and detection stop now.`}
                  onConfirm={() => {
                    onChange(deleteCamera(api, camera.id), `Could not delete ${camera.name}`);
                  }}
                >
                  Delete
                </ConfirmButton>
              </>
            )}
          </div>
        )}
      </div>
      <ProbeOutcome outcome={outcome} testId="camera-test-result" />
    </li>
  );
}
