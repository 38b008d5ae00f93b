import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import type { Alert, Camera, Role, Severity } from "../../api/types.ts";
import { AlertItem } from "../../components/AlertItem.tsx";
import { BUTTON_SECONDARY, FILTER_LABEL, SELECT } from "../../components/formStyles.ts";
import { SEVERITY } from "../../components/styles.ts";
import type { AlertsFeed } from "../../hooks/useAlerts.ts";
import type { AlertEntry } from "../../lib/alerts.ts";
import { formatFull, parseTimeMs } from "../../lib/time.ts";
import { PageHeading } from "../../admin/common.tsx";
import { cameraOptions, Checkbox, type Option, Select, toggled } from "../../components/inputs.tsx";
import { Field, QueryState, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";
import { AlertActions } from "./AlertActions.tsx";
import { DEFAULT_FILTER, filterEntries, type AlertFilter } from "./filter.ts";
import { setMuted, useMuted } from "./sound.ts";

const SEVERITIES = Object.keys(SEVERITY) as Severity[];
const STATUS_OPTIONS: readonly Option<AlertFilter["status"]>[] = [
  ["open", "Open (new and acknowledged)"],
  ["new", "New"],
  ["acknowledged", "Acknowledged"],
  ["resolved", "Resolved"],
];

/** The alerts page: the live list (WebSocket) filtered, with assignment, notes and sound. */
export function AlertsView({
  feed,
  cameras,
  displayAspects,
  nowMs,
  role,
  username,
}: {
  feed: AlertsFeed;
  cameras: Camera[] | undefined;
  displayAspects: ReadonlyMap<string, number | null>;
  nowMs: number;
  role: Role;
  username: string;
}) {
  const [filter, setFilter] = useState<AlertFilter>(DEFAULT_FILTER);
  const muted = useMuted();
  const canAct = role !== "viewer";
  const list: ListProps = { filter, displayAspects, nowMs, role, username };
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="Live: new alerts appear here as they are raised.">Alerts</PageHeading>
      <div className="mb-4 flex flex-wrap items-end gap-4">
        <Filters filter={filter} cameras={cameras} onChange={setFilter} />
        <button
          type="button"
          data-testid="alert-sound-toggle"
          aria-pressed={muted}
          onClick={() => {
            setMuted(!muted);
          }}
          className={BUTTON_SECONDARY}
        >
          {muted ? "Critical alert sound: off" : "Critical alert sound: on"}
        </button>
      </div>
      {filter.status === "resolved" ? (
        <ResolvedList {...list} />
      ) : (
        <LiveList feed={feed} {...list} />
      )}
      {canAct && <DeadLetters />}
    </div>
  );
}

function Filters({
  filter,
  cameras,
  onChange,
}: {
  filter: AlertFilter;
  cameras: Camera[] | undefined;
  onChange: (filter: AlertFilter) => void;
}) {
  const cameraId = useId();
  const statusId = useId();
  return (
    <>
      <Field id={cameraId} label="Camera" labelClassName={FILTER_LABEL} className="min-w-40">
        <Select
          id={cameraId}
          data-testid="alert-filter-camera"
          value={filter.camera}
          options={cameraOptions(cameras, "All cameras")}
          onChange={(camera) => {
            onChange({ ...filter, camera });
          }}
          className={SELECT}
        />
      </Field>
      <Field id={statusId} label="Status" labelClassName={FILTER_LABEL} className="min-w-40">
        <Select
          id={statusId}
          data-testid="alert-filter-status"
          value={filter.status}
          options={STATUS_OPTIONS}
          onChange={(status) => {
            onChange({ ...filter, status });
          }}
          className={SELECT}
        />
      </Field>
      <fieldset className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <legend className="text-base font-medium text-slate-200">Severity</legend>
        {SEVERITIES.map((severity) => (
          <label key={severity} className="flex items-center gap-1.5 text-base text-slate-100">
            <Checkbox
              data-testid={`alert-filter-severity-${severity}`}
              checked={filter.severities.includes(severity)}
              onChange={(on) => {
                onChange({ ...filter, severities: toggled(filter.severities, severity, on) });
              }}
            />
            {SEVERITY[severity].label}
          </label>
        ))}
      </fieldset>
    </>
  );
}

interface ListProps {
  filter: AlertFilter;
  displayAspects: ReadonlyMap<string, number | null>;
  nowMs: number;
  role: Role;
  username: string;
}

function LiveList({ feed, ...props }: ListProps & { feed: AlertsFeed }) {
  const shown = useMemo(
    () => filterEntries(feed.state.entries, props.filter),
    [feed.state.entries, props.filter],
  );
  return (
    <QueryState
      what="alerts"
      isPending={!feed.state.loaded}
      error={feed.loadError}
      onRetry={feed.refresh}
      isEmpty={shown.length === 0}
      empty={
        feed.state.entries.length === 0 ? "No open alerts." : "No open alert matches the filter."
      }
    >
      <p className="mb-2 text-base text-slate-400">
        {shown.length} of {feed.state.entries.length} open alerts
        {feed.state.hasMore && " (newest 50 listed)"}
      </p>
      <Entries entries={shown} onChanged={feed.apply} onConflict={feed.refresh} {...props} />
    </QueryState>
  );
}

function ResolvedList(props: ListProps) {
  const views = useViewsApi();
  const { camera } = props.filter;
  const pages = useInfiniteQuery({
    queryKey: ["alerts-resolved", camera],
    queryFn: ({ pageParam, signal }) =>
      views.alerts(
        { status: ["resolved"], camera_id: camera === "" ? undefined : camera, cursor: pageParam },
        signal,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
  const entries = useMemo(
    () =>
      filterEntries(
        (pages.data?.pages ?? []).flatMap((p) =>
          p.items.map((alert) => ({ alert, seq: 0, fresh: false })),
        ),
        props.filter,
      ),
    [pages.data, props.filter],
  );
  const refetch = () => void pages.refetch();
  return (
    <QueryState
      what="resolved alerts"
      isPending={pages.isPending}
      error={pages.error}
      onRetry={refetch}
      isEmpty={entries.length === 0 && !pages.hasNextPage}
      empty="No resolved alert matches the filter."
    >
      <Entries entries={entries} onChanged={refetch} onConflict={refetch} {...props} />
      {pages.hasNextPage && (
        <button
          type="button"
          className={`mt-3 ${BUTTON_SECONDARY}`}
          disabled={pages.isFetchingNextPage}
          onClick={() => void pages.fetchNextPage()}
        >
          {pages.isFetchingNextPage ? "Loading…" : "Load older alerts"}
        </button>
      )}
    </QueryState>
  );
}

function Entries({
  entries,
  displayAspects,
  nowMs,
  role,
  username,
  onChanged,
  onConflict,
}: ListProps & {
  entries: AlertEntry[];
  onChanged: (alert: Alert) => void;
  onConflict: () => void;
}) {
  return (
    <ol className="flex flex-col gap-3" aria-live="polite" aria-relevant="additions">
      {entries.map((entry) => (
        <AlertItem
          key={entry.alert.id}
          entry={entry}
          displayAspect={displayAspects.get(entry.alert.camera_id) ?? null}
          nowMs={nowMs}
          canAcknowledge={role !== "viewer"}
          onChanged={onChanged}
          onConflict={onConflict}
        >
          <AlertActions alert={entry.alert} role={role} username={username} onChanged={onChanged} />
        </AlertItem>
      ))}
    </ol>
  );
}

/** Notifications that failed every retry (operators and admins). */
function DeadLetters() {
  const views = useViewsApi();
  const letters = useQuery({
    queryKey: ["dead-letters"],
    queryFn: ({ signal }) => views.deadLetters(signal),
    refetchInterval: 60_000,
  });
  return (
    <Section
      id="dead-letters"
      title="Undelivered notifications"
      intro="Notifications that failed every retry, newest first."
    >
      <QueryState
        what="undelivered notifications"
        isPending={letters.isPending}
        error={letters.error}
        isEmpty={letters.data?.length === 0}
        empty="Every notification was delivered."
        onRetry={() => void letters.refetch()}
      >
        <ul className="space-y-2">
          {letters.data?.map((letter) => {
            const ms = parseTimeMs(letter.updated_at);
            return (
              <li
                key={letter.id}
                data-testid="dead-letter"
                className="rounded-lg border border-red-800 bg-slate-900 px-3 py-2 text-base"
              >
                <p className="font-semibold text-white">
                  {letter.channel} → {letter.recipient}{" "}
                  <span className="font-normal text-slate-400">
                    ({letter.kind}, {letter.attempts} attempts)
                  </span>
                </p>
                {letter.last_error !== null && (
                  <p className="text-red-200">Last error: {letter.last_error}</p>
                )}
                {ms !== null && <p className="text-sm text-slate-400">{formatFull(ms)}</p>}
              </li>
            );
          })}
        </ul>
      </QueryState>
    </Section>
  );
}
