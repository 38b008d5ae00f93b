import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type SubmitEvent } from "react";
import type { Camera, Severity } from "../../api/types.ts";
import { CameraChoice } from "../../admin/common.tsx";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, CARD, LIST_ROW } from "../../components/formStyles.ts";
import { severityInfo } from "../../components/styles.ts";
import type { Watchlist, WatchlistInput } from "../../api/types.ts";
import {
  Checkbox,
  Select,
  SEVERITY_OPTIONS,
  TextInput,
  toggled,
} from "../../components/inputs.tsx";
import {
  ConfirmButton,
  ErrorLine,
  Field,
  FieldError,
  QueryList,
  Section,
  useFormRequest,
  useListChange,
} from "../common.tsx";
import { errorAt } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";
import { PERSONS_KEY } from "./Persons.tsx";

const KEY = ["watchlists"] as const;

/** Watchlists: who to look for, on which cameras, and how loud the alert is. */
export function Watchlists({
  cameras,
  canEdit,
}: {
  cameras: Camera[] | undefined;
  canEdit: boolean;
}) {
  const views = useViewsApi();
  const lists = useQuery({ queryKey: KEY, queryFn: ({ signal }) => views.watchlists(signal) });
  const persons = useQuery({
    queryKey: PERSONS_KEY,
    queryFn: ({ signal }) => views.persons(signal),
  });
  const { error, run: change } = useListChange(KEY);
  const names = new Map((persons.data ?? []).map((p) => [p.id, p.name]));
  const inputOf = (list: Watchlist): WatchlistInput => ({
    name: list.name,
    person_ids: list.person_ids,
    cameras: list.cameras,
    severity: list.severity,
    threshold: list.threshold,
    enabled: list.enabled,
  });
  return (
    <Section
      id="watchlists"
      title="Watchlists"
      intro="An alert is raised when a listed person is seen."
    >
      {canEdit && <WatchlistForm cameras={cameras} persons={persons.data ?? []} />}
      <div className="mt-4">
        <QueryList
          what="watchlists"
          query={lists}
          empty="No watchlists yet."
          header={<ErrorLine error={error} className="mb-2" />}
        >
          {(list) => (
            <li
              key={list.id}
              data-testid="watchlist-row"
              className={`flex flex-wrap items-center justify-between gap-2 ${LIST_ROW}`}
            >
              <div>
                <p className="text-lg font-semibold text-white">
                  {list.name}{" "}
                  <span className="text-sm font-normal text-slate-400">
                    {list.enabled ? "on" : "off"} · {severityInfo(list.severity).label} · match ≥{" "}
                    {Math.round(list.threshold * 100)}%
                  </span>
                </p>
                <p className="text-sm text-slate-300">
                  {list.person_ids.map((id) => names.get(id) ?? id).join(", ") || "nobody"} ·{" "}
                  {list.cameras === "*" ? "all cameras" : list.cameras.join(", ")}
                </p>
              </div>
              {canEdit && (
                <div className="flex gap-2">
                  <button
                    type="button"
                    className={BUTTON_SECONDARY}
                    onClick={() => {
                      change(
                        views.updateWatchlist(list.id, {
                          ...inputOf(list),
                          enabled: !list.enabled,
                        }),
                        "Could not change the watchlist",
                      );
                    }}
                  >
                    {list.enabled ? "Turn off" : "Turn on"}
                  </button>
                  <ConfirmButton
                    question={`Delete the watchlist ${list.name}?`}
                    onConfirm={() => {
                      change(views.deleteWatchlist(list.id), "Could not delete the watchlist");
                    }}
                  >
                    Delete
                  </ConfirmButton>
                </div>
              )}
            </li>
          )}
        </QueryList>
      </div>
    </Section>
  );
}

function WatchlistForm({
  cameras,
  persons,
}: {
  cameras: Camera[] | undefined;
  persons: { id: string; name: string }[];
}) {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const ids = { name: useId(), severity: useId(), threshold: useId() };
  const [name, setName] = useState("");
  const [people, setPeople] = useState<string[]>([]);
  const [scope, setScope] = useState<string[] | null>(null);
  const [severity, setSeverity] = useState<Severity>("high");
  const [threshold, setThreshold] = useState("0.4");
  const { busy, errors, error, send } = useFormRequest();
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    send(
      () =>
        views.createWatchlist({
          name: name.trim(),
          person_ids: people,
          cameras: scope ?? "*",
          severity,
          threshold: Number(threshold),
          enabled: true,
        }),
      "Could not create the watchlist",
      () => {
        setName("");
        setPeople([]);
        void queryClient.invalidateQueries({ queryKey: KEY });
      },
    );
  };
  return (
    <form onSubmit={submit} aria-labelledby="watchlist-heading" className={CARD}>
      <h3 id="watchlist-heading" className="mb-3 text-lg font-semibold text-white">
        New watchlist
      </h3>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
        <Field id={ids.name} label="Name" error={errorAt(errors, "name")}>
          <TextInput id={ids.name} required value={name} onChange={setName} />
        </Field>
        <Field id={ids.severity} label="Alert severity">
          <Select
            id={ids.severity}
            value={severity}
            options={SEVERITY_OPTIONS}
            onChange={setSeverity}
          />
        </Field>
        <Field
          id={ids.threshold}
          label="Match threshold (0–1)"
          error={errorAt(errors, "threshold")}
        >
          <TextInput
            id={ids.threshold}
            type="number"
            min={0}
            max={1}
            step={0.01}
            value={threshold}
            onChange={setThreshold}
          />
        </Field>
      </div>
      <fieldset className="mt-4 rounded-md border border-slate-700 p-3">
        <legend className="px-1 text-base font-medium text-slate-200">People</legend>
        {persons.length === 0 && <p className="text-slate-400">Enrol someone first.</p>}
        <div className="grid grid-cols-1 gap-1 sm:grid-cols-3">
          {persons.map((p) => (
            <label key={p.id} className="flex items-center gap-2 text-base text-slate-100">
              <Checkbox
                checked={people.includes(p.id)}
                onChange={(on) => {
                  setPeople(toggled(people, p.id, on));
                }}
              />
              {p.name}
            </label>
          ))}
        </div>
        <FieldError id="watchlist-people-e" error={errorAt(errors, "person_ids")} />
      </fieldset>
      <div className="mt-4">
        <CameraChoice cameras={cameras} value={scope} onChange={setScope} />
        <FieldError id="watchlist-cameras-e" error={errorAt(errors, "cameras")} />
      </div>
      <ErrorLine error={error} className="mt-3" />
      <button type="submit" disabled={busy} className={`mt-4 ${BUTTON_PRIMARY}`}>
        {busy ? "Creating…" : "Create watchlist"}
      </button>
    </form>
  );
}
