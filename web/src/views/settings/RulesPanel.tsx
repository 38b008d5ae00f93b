import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type SubmitEvent } from "react";
import { ApiError, SessionExpiredError } from "../../api/client.ts";
import type { Camera, Severity } from "../../api/types.ts";
import { CameraChoice } from "../../admin/common.tsx";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, CARD, LIST_ROW } from "../../components/formStyles.ts";
import { severityInfo } from "../../components/styles.ts";
import { RULE_TYPES, type Rule } from "../../api/types.ts";
import {
  Checkbox,
  type Option,
  Select,
  SEVERITY_OPTIONS,
  TextInput,
  toggled,
} from "../../components/inputs.tsx";
import {
  DoneLine,
  EditDelete,
  ErrorLine,
  errorText,
  Field,
  FieldError,
  QueryList,
  Section,
  useListChange,
} from "../common.tsx";
import { errorAt, fieldErrorsOf, type FieldErrors } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";
import { addLinePoint, lineProblem } from "./geometry.ts";
import { NEW_RULE, ruleBody, ruleFields, type RuleFields } from "./ruleForm.ts";
import { ZoneEditor } from "./ZoneEditor.tsx";
import { ZONES_KEY } from "./ZonesPanel.tsx";

const RULES_KEY = ["rules"] as const;
/** Typing pauses this long before the draft is checked by the server. */
const VALIDATE_DELAY_MS = 600;
const TYPE_OPTIONS = RULE_TYPES.map((t): Option<RuleFields["type"]> => [t, t.replaceAll("_", " ")]);
/** The number fields, in form order; `only`: shown for that kind of rule only. */
const NUMBER_FIELDS: readonly {
  label: string;
  path: string;
  field: NumberKey;
  only?: RuleFields["type"];
  testId?: string;
}[] = [
  {
    label: "Minimum confidence (0–1)",
    path: "min_confidence",
    field: "minConfidence",
    testId: "rule-min-confidence",
  },
  { label: "Frames before it counts", path: "min_frames", field: "minFrames" },
  { label: "Clear after (s without anyone)", path: "clear_after_s", field: "clearAfterS" },
  { label: "Quiet after an alert (s)", path: "cooldown_s", field: "cooldownS" },
  { label: "Dwell (s in the zone)", path: "dwell_s", field: "dwellS", only: "loitering" },
  { label: "People at once", path: "min_people", field: "minPeople", only: "crowd" },
  { label: "Held for (s)", path: "min_duration_s", field: "minDurationS", only: "crowd" },
  { label: "Still for (s)", path: "still_s", field: "stillS", only: "abandoned_object" },
];
type NumberKey =
  | "minConfidence"
  | "minFrames"
  | "clearAfterS"
  | "cooldownS"
  | "dwellS"
  | "minPeople"
  | "minDurationS"
  | "stillS";
const DIRECTION_OPTIONS: readonly Option<RuleFields["direction"]>[] = [
  ["both", "Both ways"],
  ["in", "In"],
  ["out", "Out"],
];

export function RulesPanel({ cameras, canEdit }: { cameras: Camera[]; canEdit: boolean }) {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: RULES_KEY, queryFn: ({ signal }) => views.rules(signal) });
  const [editing, setEditing] = useState<Rule | null>(null);
  const change = useListChange(RULES_KEY);
  const names = new Map(cameras.map((c) => [c.id, c.name]));
  return (
    <Section id="rules" title="Rules" intro="What raises an alert: where, when, and how loud.">
      {canEdit && (
        <RuleForm
          key={editing?.id ?? "new"}
          cameras={cameras}
          editing={editing}
          onDone={() => {
            setEditing(null);
            void queryClient.invalidateQueries({ queryKey: RULES_KEY });
          }}
        />
      )}
      <div className="mt-4">
        <ErrorLine error={change.error} className="mb-2" />
        <QueryList what="rules" query={rules} empty="No rules: nothing raises alerts.">
          {(rule) => (
            <li
              key={rule.id}
              data-testid="rule-row"
              data-rule-id={rule.id}
              data-source={rule.source}
              className={`flex flex-wrap items-start justify-between gap-2 ${LIST_ROW}`}
            >
              <div>
                <p className="text-base font-semibold text-white">
                  {rule.name}{" "}
                  <span className="text-sm font-normal text-slate-400">
                    ({rule.id}) · {rule.type.replaceAll("_", " ")} ·{" "}
                    {severityInfo(rule.severity).label}
                    {rule.enabled ? "" : " · off"}
                  </span>
                </p>
                <p className="text-sm text-slate-300">
                  {rule.cameras === "*"
                    ? "All cameras"
                    : rule.cameras.map((c) => names.get(c) ?? c).join(", ")}
                  {rule.zones !== undefined &&
                    rule.zones.length > 0 &&
                    ` · zones ${rule.zones.join(", ")}`}
                  {rule.schedule !== null && ` · schedule ${rule.schedule}`}
                  {rule.source === "config" && " · from site.yaml (read-only)"}
                </p>
                {rule.problem != null && (
                  <p className="text-sm font-semibold text-amber-200">
                    Not running: {rule.problem}
                  </p>
                )}
              </div>
              {canEdit && rule.source === "api" && (
                <EditDelete
                  onEdit={() => {
                    setEditing(rule);
                  }}
                  question={`Delete the rule ${rule.name}?`}
                  onDelete={() => {
                    change.run(views.deleteRule(rule.id), `Could not delete ${rule.name}`);
                  }}
                />
              )}
            </li>
          )}
        </QueryList>
      </div>
    </Section>
  );
}

type Check =
  | { state: "idle" | "checking" | "valid" }
  | { state: "invalid"; errors: FieldErrors; detail: string };

/** Create or edit a rule; the draft is checked by `POST /rules/validate` as it is typed. */
export function RuleForm({
  cameras,
  editing,
  onDone,
}: {
  cameras: Camera[];
  editing: Rule | null;
  onDone: () => void;
}) {
  const views = useViewsApi();
  const [fields, setFields] = useState<RuleFields>(
    editing === null ? NEW_RULE : ruleFields(editing),
  );
  const [touched, setTouched] = useState(false);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const zones = useQuery({
    queryKey: ZONES_KEY,
    queryFn: ({ signal }) => views.zones(undefined, signal),
  });
  const schedules = useQuery({
    queryKey: ["schedules"],
    queryFn: ({ signal }) => views.schedules(signal),
  });
  const set = (patch: Partial<RuleFields>) => {
    setFields((f) => ({ ...f, ...patch }));
    setTouched(true);
    setSaved(null);
  };

  useEffect(() => {
    if (!touched) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setCheck({ state: "checking" });
      views.validateRule(ruleBody(fields)).then(
        () => {
          if (!controller.signal.aborted) setCheck({ state: "valid" });
        },
        (err: unknown) => {
          if (controller.signal.aborted || err instanceof SessionExpiredError) return;
          if (err instanceof ApiError && err.status === 422)
            setCheck({ state: "invalid", errors: fieldErrorsOf(err), detail: err.detail });
          else setCheck({ state: "idle" });
        },
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [fields, touched, views]);

  const errors = check.state === "invalid" ? check.errors : {};
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setSaveError(null);
    const body = ruleBody(fields);
    (editing === null ? views.createRule(body) : views.updateRule(body)).then(
      (rule) => {
        setBusy(false);
        setSaved(`Rule ${rule.name} saved; it applies from the next analysed frame.`);
        setFields(NEW_RULE);
        setTouched(false);
        setCheck({ state: "idle" });
        onDone();
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof SessionExpiredError) return;
        if (err instanceof ApiError && err.status === 422)
          setCheck({ state: "invalid", errors: fieldErrorsOf(err), detail: err.detail });
        setSaveError(errorText(err, "Could not save the rule"));
      },
    );
  };

  const chosen =
    fields.cameras === null ? cameras : cameras.filter((c) => fields.cameras?.includes(c.id));
  const zoneChoices = (zones.data ?? []).filter((z) => chosen.some((c) => c.id === z.camera_id));
  const lineCamera = chosen[0];
  const lineHint = fields.type === "line_crossing" ? lineProblem(fields.line) : null;
  const ids = {
    id: useId(),
    name: useId(),
    type: useId(),
    classes: useId(),
    schedule: useId(),
    severity: useId(),
    direction: useId(),
  };
  const general = errors[""] ?? null;
  return (
    <form
      onSubmit={submit}
      aria-labelledby="rule-form-heading"
      data-testid="rule-form"
      className={CARD}
    >
      <h3 id="rule-form-heading" className="mb-3 text-lg font-semibold text-white">
        {editing === null ? "New rule" : `Edit ${editing.name}`}
      </h3>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
        <Field id={ids.id} label="Id" error={errorAt(errors, "id")}>
          <TextInput
            id={ids.id}
            data-testid="rule-id"
            required
            readOnly={editing !== null}
            value={fields.id}
            onChange={(id) => {
              set({ id });
            }}
          />
        </Field>
        <Field id={ids.name} label="Name" error={errorAt(errors, "name")}>
          <TextInput
            id={ids.name}
            data-testid="rule-name"
            required
            value={fields.name}
            onChange={(name) => {
              set({ name });
            }}
          />
        </Field>
        <Field id={ids.type} label="Kind" error={errorAt(errors, "type")}>
          <Select
            id={ids.type}
            data-testid="rule-type"
            value={fields.type}
            options={TYPE_OPTIONS}
            onChange={(type) => {
              set({ type });
            }}
          />
        </Field>
        <Field
          id={ids.classes}
          label="Classes (comma-separated)"
          error={errorAt(errors, "classes")}
        >
          <TextInput
            id={ids.classes}
            value={fields.classes}
            onChange={(classes) => {
              set({ classes });
            }}
          />
        </Field>
        <Field id={ids.schedule} label="Schedule" error={errorAt(errors, "schedule")}>
          <Select
            id={ids.schedule}
            data-testid="rule-schedule"
            value={fields.schedule}
            options={[
              ["", "Always"],
              ...(schedules.data ?? []).map((s): Option => [s.name, s.name]),
            ]}
            onChange={(schedule) => {
              set({ schedule });
            }}
          />
        </Field>
        <Field id={ids.severity} label="Severity" error={errorAt(errors, "severity")}>
          <Select
            id={ids.severity}
            data-testid="rule-severity"
            value={fields.severity}
            options={SEVERITY_OPTIONS}
            onChange={(severity: Severity) => {
              set({ severity });
            }}
          />
        </Field>
        {NUMBER_FIELDS.filter((n) => n.only === undefined || n.only === fields.type).map((n) => (
          <NumberField
            key={n.path}
            label={n.label}
            path={n.path}
            testId={n.testId}
            value={fields[n.field]}
            errors={errors}
            onChange={(v) => {
              set({ [n.field]: v });
            }}
          />
        ))}
        <label className="flex items-center gap-2 self-end pb-2 text-base text-slate-100">
          <Checkbox
            checked={fields.enabled}
            onChange={(enabled) => {
              set({ enabled });
            }}
          />
          Enabled
        </label>
      </div>
      <div className="mt-4">
        <CameraChoice
          cameras={cameras}
          value={fields.cameras}
          onChange={(value) => {
            set({ cameras: value });
          }}
        />
        <FieldError id="rule-cameras-e" error={errorAt(errors, "cameras")} />
      </div>
      {fields.type !== "line_crossing" && (
        <fieldset className="mt-4 rounded-md border border-slate-700 p-3" data-testid="rule-zones">
          <legend className="px-1 text-base font-medium text-slate-200">
            Zones (none ticked: every zone of the cameras)
          </legend>
          {zoneChoices.length === 0 && (
            <p className="text-slate-400">These cameras have no zones.</p>
          )}
          <div className="grid grid-cols-1 gap-1 sm:grid-cols-2">
            {zoneChoices.map((z) => (
              <label
                key={`${z.camera_id}/${z.id}`}
                className="flex items-center gap-2 text-base text-slate-100"
              >
                <Checkbox
                  data-testid="rule-zone"
                  data-zone-id={z.id}
                  checked={fields.zones.includes(z.id)}
                  onChange={(on) => {
                    set({ zones: toggled(fields.zones, z.id, on) });
                  }}
                />
                {z.name}{" "}
                <span className="text-sm text-slate-400">
                  ({z.id}, {z.camera_id})
                </span>
              </label>
            ))}
          </div>
          <FieldError id="rule-zones-e" error={errorAt(errors, "zones")} />
        </fieldset>
      )}
      {fields.type === "line_crossing" && (
        <div className="mt-4">
          <p className="mb-2 text-base text-slate-300">
            Click the line&apos;s two end points on {lineCamera?.name ?? "a camera"}. &quot;In&quot;
            is crossing from the left of the line to its right, walking from the first point to the
            second.
          </p>
          {lineCamera !== undefined && (
            <ZoneEditor
              camera={lineCamera}
              draft={{ points: fields.line, closed: false }}
              mode="line"
              zones={(zones.data ?? []).filter((z) => z.camera_id === lineCamera.id)}
              onAdd={(p) => {
                set({ line: addLinePoint(fields.line, p) });
              }}
              onChange={(d) => {
                set({ line: d.points });
              }}
            />
          )}
          {lineHint !== null && <p className="mt-2 text-amber-200">{lineHint}</p>}
          <FieldError id="rule-line-e" error={errorAt(errors, "line")} />
          <Field id={ids.direction} label="Direction" className="mt-2 max-w-xs">
            <Select
              id={ids.direction}
              value={fields.direction}
              options={DIRECTION_OPTIONS}
              onChange={(direction) => {
                set({ direction });
              }}
            />
          </Field>
        </div>
      )}
      <div className="mt-4 space-y-2" aria-live="polite">
        {check.state === "checking" && <p className="text-slate-400">Checking…</p>}
        {check.state === "valid" && (
          <p data-testid="rule-valid" className="text-emerald-300">
            The rule is valid.
          </p>
        )}
        {check.state === "invalid" && (
          <p data-testid="rule-invalid" className="text-amber-200">
            Not valid yet: {check.detail}
          </p>
        )}
        {general !== null && <FieldError id="rule-general-e" error={general} />}
        <ErrorLine error={saveError} />
        <DoneLine text={saved} />
      </div>
      <div className="mt-4 flex gap-2">
        <button type="submit" data-testid="rule-save" disabled={busy} className={BUTTON_PRIMARY}>
          {busy ? "Saving…" : editing === null ? "Create rule" : "Save rule"}
        </button>
        {editing !== null && (
          <button type="button" className={BUTTON_SECONDARY} onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function NumberField({
  label,
  path,
  value,
  errors,
  onChange,
  testId,
}: {
  label: string;
  path: string;
  value: string;
  errors: FieldErrors;
  onChange: (value: string) => void;
  testId?: string | undefined;
}) {
  const id = useId();
  const error = errorAt(errors, path);
  return (
    <Field id={id} label={label} error={error}>
      <TextInput
        id={id}
        data-testid={testId}
        inputMode="decimal"
        value={value}
        aria-invalid={error !== null}
        aria-describedby={error !== null ? `${id}-error` : undefined}
        onChange={onChange}
      />
    </Field>
  );
}
