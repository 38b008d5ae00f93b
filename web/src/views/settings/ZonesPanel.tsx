import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type SubmitEvent } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import type { Camera } from "../../api/types.ts";
import {
  BUTTON_DANGER,
  BUTTON_PRIMARY,
  BUTTON_SECONDARY,
  INPUT,
  LABEL,
  WARNING_BOX,
} from "../../components/formStyles.ts";
import type { Zone } from "../api.ts";
import { errorText, FieldError, QueryState, Section } from "../common.tsx";
import { errorAt, fieldErrorsOf, type FieldErrors } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";
import { addPoint, closePolygon, EMPTY_DRAFT, polygonProblem, type Draft } from "./geometry.ts";
import { ZoneEditor } from "./ZoneEditor.tsx";

export const ZONES_KEY = ["zones"] as const;
const CRITICALITY = ["low", "normal", "high", "critical"] as const;

/** Zones per camera: drawn on the live picture; site.yaml's are shown but not editable. */
export function ZonesPanel({ cameras, canEdit }: { cameras: Camera[]; canEdit: boolean }) {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const cameraSelect = useId();
  const [cameraId, setCameraId] = useState(cameras[0]?.id ?? "");
  const camera = cameras.find((c) => c.id === cameraId) ?? cameras[0];
  const zones = useQuery({
    queryKey: ZONES_KEY,
    queryFn: ({ signal }) => views.zones(undefined, signal),
  });
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [editing, setEditing] = useState<Zone | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const cameraZones = (zones.data ?? []).filter((z) => z.camera_id === camera?.id);
  const shown = cameraZones.filter((z) => z.id !== editing?.id);

  const startEdit = (zone: Zone) => {
    setEditing(zone);
    setDraft({ points: zone.polygon, closed: true });
  };
  const reset = () => {
    setEditing(null);
    setDraft(EMPTY_DRAFT);
  };
  const remove = (zone: Zone) => {
    if (!window.confirm(`Delete the zone ${zone.name}?`)) return;
    setListError(null);
    views.deleteZone(zone.camera_id, zone.id).then(
      () => void queryClient.invalidateQueries({ queryKey: ZONES_KEY }),
      (err: unknown) => {
        if (!(err instanceof SessionExpiredError))
          setListError(errorText(err, `Could not delete ${zone.name}`));
      },
    );
  };

  if (camera === undefined) return <p className="text-slate-400">No cameras.</p>;
  return (
    <Section
      id="zones"
      title="Zones"
      intro={
        canEdit
          ? "Click on the picture to add corners; click the first corner (or Close polygon) to finish. Drag corners to move them."
          : "Zones of each camera (only admins can change them)."
      }
    >
      <div className="mb-3 max-w-xs">
        <label htmlFor={cameraSelect} className={LABEL}>
          Camera
        </label>
        <select
          id={cameraSelect}
          data-testid="zone-camera"
          value={camera.id}
          onChange={(e) => {
            setCameraId(e.target.value);
            reset();
          }}
          className={INPUT}
        >
          {cameras.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(16rem,2fr)]">
        <div>
          <ZoneEditor
            camera={camera}
            draft={draft}
            mode="polygon"
            zones={shown}
            onAdd={(p) => {
              if (canEdit) setDraft((d) => addPoint(d, p));
            }}
            onChange={(d) => {
              if (canEdit) setDraft(d);
            }}
          />
          {canEdit && (
            <div className="mt-2 flex flex-wrap gap-2">
              <button
                type="button"
                data-testid="zone-close"
                className={BUTTON_SECONDARY}
                disabled={draft.closed || draft.points.length < 3}
                onClick={() => {
                  setDraft(closePolygon);
                }}
              >
                Close polygon
              </button>
              <button
                type="button"
                className={BUTTON_SECONDARY}
                disabled={draft.points.length === 0}
                onClick={() => {
                  setDraft((d) => ({ points: d.points.slice(0, -1), closed: false }));
                }}
              >
                Undo last point
              </button>
              <button type="button" className={BUTTON_SECONDARY} onClick={reset}>
                {editing === null ? "Clear" : "Cancel editing"}
              </button>
            </div>
          )}
        </div>
        <div>
          {canEdit && (
            <ZoneForm
              key={editing === null ? "new" : `${editing.camera_id}/${editing.id}`}
              cameraId={camera.id}
              draft={draft}
              editing={editing}
              onSaved={() => {
                reset();
                void queryClient.invalidateQueries({ queryKey: ZONES_KEY });
              }}
            />
          )}
          <h3 className="mt-4 mb-2 text-lg font-semibold text-white">Zones on {camera.name}</h3>
          {listError !== null && (
            <p role="alert" className="mb-2 font-semibold text-red-300">
              {listError}
            </p>
          )}
          <QueryState
            what="zones"
            isPending={zones.isPending}
            error={zones.error}
            onRetry={() => void zones.refetch()}
            isEmpty={cameraZones.length === 0}
            empty="No zones on this camera."
          >
            <ul className="space-y-2">
              {cameraZones.map((zone) => (
                <li
                  key={zone.id}
                  data-testid="zone-row"
                  data-zone-id={zone.id}
                  data-source={zone.source}
                  className="rounded-lg border border-slate-700 bg-slate-900 px-3 py-2"
                >
                  <p className="text-base font-semibold text-white">
                    {zone.name}{" "}
                    <span className="text-sm font-normal text-slate-400">({zone.id})</span>
                  </p>
                  <p className="text-sm text-slate-300">
                    {zone.criticality} · {zone.polygon.length} corners ·{" "}
                    {zone.source === "config" ? "from site.yaml (read-only)" : "made here"}
                  </p>
                  {canEdit && zone.source === "api" && (
                    <div className="mt-2 flex gap-2">
                      <button
                        type="button"
                        className={BUTTON_SECONDARY}
                        onClick={() => {
                          startEdit(zone);
                        }}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className={BUTTON_DANGER}
                        onClick={() => {
                          remove(zone);
                        }}
                      >
                        Delete
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          </QueryState>
        </div>
      </div>
    </Section>
  );
}

function ZoneForm({
  cameraId,
  draft,
  editing,
  onSaved,
}: {
  cameraId: string;
  draft: Draft;
  editing: Zone | null;
  onSaved: () => void;
}) {
  const views = useViewsApi();
  const ids = { id: useId(), name: useId(), crit: useId() };
  const [zoneId, setZoneId] = useState(editing?.id ?? "");
  const [name, setName] = useState(editing?.name ?? "");
  const [criticality, setCriticality] = useState<Zone["criticality"]>(
    editing?.criticality ?? "normal",
  );
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const problem = polygonProblem(draft);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy || problem !== null) return;
    setBusy(true);
    setErrors({});
    setError(null);
    setSaved(null);
    const zone = {
      camera_id: cameraId,
      id: zoneId.trim(),
      name: name.trim(),
      criticality,
      polygon: draft.points,
    };
    (editing === null ? views.createZone(zone) : views.updateZone(zone)).then(
      (stored) => {
        setBusy(false);
        setSaved(`Zone ${stored.name} saved.`);
        setZoneId("");
        setName("");
        onSaved();
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof SessionExpiredError) return;
        setErrors(fieldErrorsOf(err));
        setError(errorText(err, "Could not save the zone"));
      },
    );
  };
  return (
    <form
      onSubmit={submit}
      aria-labelledby="zone-form-heading"
      data-testid="zone-form"
      className="space-y-3"
    >
      <h3 id="zone-form-heading" className="text-lg font-semibold text-white">
        {editing === null ? "New zone" : `Edit ${editing.name}`}
      </h3>
      <div>
        <label htmlFor={ids.id} className={LABEL}>
          Id (lower-case letters, digits, - or _)
        </label>
        <input
          id={ids.id}
          data-testid="zone-id"
          required
          pattern="[a-z0-9][a-z0-9_\-]{0,62}"
          readOnly={editing !== null}
          value={zoneId}
          onChange={(e) => {
            setZoneId(e.target.value);
          }}
          className={INPUT}
        />
        <FieldError id={`${ids.id}-e`} error={errorAt(errors, "id")} />
      </div>
      <div>
        <label htmlFor={ids.name} className={LABEL}>
          Name
        </label>
        <input
          id={ids.name}
          data-testid="zone-name"
          required
          value={name}
          onChange={(e) => {
            setName(e.target.value);
          }}
          className={INPUT}
        />
        <FieldError id={`${ids.name}-e`} error={errorAt(errors, "name")} />
      </div>
      <div>
        <label htmlFor={ids.crit} className={LABEL}>
          Criticality
        </label>
        <select
          id={ids.crit}
          value={criticality}
          onChange={(e) => {
            setCriticality(e.target.value as Zone["criticality"]);
          }}
          className={INPUT}
        >
          {CRITICALITY.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      {problem !== null && draft.points.length > 0 && (
        <p data-testid="zone-problem" className={WARNING_BOX}>
          {problem}
        </p>
      )}
      <FieldError id="zone-polygon-e" error={errorAt(errors, "polygon")} />
      {error !== null && (
        <p role="alert" className="font-semibold text-red-300">
          {error}
        </p>
      )}
      {saved !== null && (
        <p role="status" className="font-medium text-emerald-300">
          {saved}
        </p>
      )}
      <button
        type="submit"
        data-testid="zone-save"
        disabled={busy || problem !== null}
        className={BUTTON_PRIMARY}
      >
        {busy ? "Saving…" : "Save zone"}
      </button>
    </form>
  );
}
