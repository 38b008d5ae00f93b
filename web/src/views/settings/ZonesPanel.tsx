import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type SubmitEvent } from "react";
import type { Camera } from "../../api/types.ts";
import {
  BUTTON_PRIMARY,
  BUTTON_SECONDARY,
  LIST_ROW,
  WARNING_BOX,
} from "../../components/formStyles.ts";
import type { Zone } from "../../api/types.ts";
import { cameraOptions, Select, TextInput, type Option } from "../../components/inputs.tsx";
import {
  DoneLine,
  EditDelete,
  ErrorLine,
  Field,
  FieldError,
  QueryState,
  queryStatus,
  Section,
  useFormRequest,
  useListChange,
} from "../common.tsx";
import { errorAt } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";
import {
  addPoint,
  asPoints,
  closePolygon,
  EMPTY_DRAFT,
  polygonProblem,
  type Draft,
} from "./geometry.ts";
import { ZoneEditor } from "./ZoneEditor.tsx";

export const ZONES_KEY = ["zones"] as const;
const CRITICALITY: readonly Option<Zone["criticality"]>[] = (
  ["low", "normal", "high", "critical"] as const
).map((c) => [c, c]);

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
  const change = useListChange(ZONES_KEY);
  const cameraZones = (zones.data ?? []).filter((z) => z.camera_id === camera?.id);
  const shown = cameraZones.filter((z) => z.id !== editing?.id);

  const startEdit = (zone: Zone) => {
    setEditing(zone);
    setDraft({ points: asPoints(zone.polygon), closed: true });
  };
  const reset = () => {
    setEditing(null);
    setDraft(EMPTY_DRAFT);
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
      <Field id={cameraSelect} label="Camera" className="mb-3 max-w-xs">
        <Select
          id={cameraSelect}
          data-testid="zone-camera"
          value={camera.id}
          options={cameraOptions(cameras)}
          onChange={(id) => {
            setCameraId(id);
            reset();
          }}
        />
      </Field>
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
          <ErrorLine error={change.error} className="mb-2" />
          <QueryState
            what="zones"
            {...queryStatus(zones)}
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
                  className={LIST_ROW}
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
                    <EditDelete
                      className="mt-2 flex gap-2"
                      onEdit={() => {
                        startEdit(zone);
                      }}
                      question={`Delete the zone ${zone.name}?`}
                      onDelete={() => {
                        change.run(
                          views.deleteZone(zone.camera_id, zone.id),
                          `Could not delete ${zone.name}`,
                        );
                      }}
                    />
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
  const { busy, errors, error, send } = useFormRequest();
  const [saved, setSaved] = useState<string | null>(null);
  const problem = polygonProblem(draft);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy || problem !== null) return;
    setSaved(null);
    const zone = {
      camera_id: cameraId,
      id: zoneId.trim(),
      name: name.trim(),
      criticality,
      polygon: draft.points,
    };
    send(
      () => (editing === null ? views.createZone(zone) : views.updateZone(zone)),
      "Could not save the zone",
      (stored) => {
        setSaved(`Zone ${stored.name} saved.`);
        setZoneId("");
        setName("");
        onSaved();
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
      <Field
        id={ids.id}
        label="Id (lower-case letters, digits, - or _)"
        error={errorAt(errors, "id")}
      >
        <TextInput
          id={ids.id}
          data-testid="zone-id"
          required
          pattern="[a-z0-9][a-z0-9_\-]{0,62}"
          readOnly={editing !== null}
          value={zoneId}
          onChange={setZoneId}
        />
      </Field>
      <Field id={ids.name} label="Name" error={errorAt(errors, "name")}>
        <TextInput id={ids.name} data-testid="zone-name" required value={name} onChange={setName} />
      </Field>
      <Field id={ids.crit} label="Criticality">
        <Select id={ids.crit} value={criticality} options={CRITICALITY} onChange={setCriticality} />
      </Field>
      {problem !== null && draft.points.length > 0 && (
        <p data-testid="zone-problem" className={WARNING_BOX}>
          {problem}
        </p>
      )}
      <FieldError id="zone-polygon-e" error={errorAt(errors, "polygon")} />
      <ErrorLine error={error} />
      <DoneLine text={saved} />
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
