import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import type { Camera, Role, Severity } from "../../api/types.ts";
import { PageHeading } from "../../admin/common.tsx";
import { INPUT } from "../../components/formStyles.ts";
import { SEVERITY } from "../../components/styles.ts";
import { RULE_TYPES, type EventFilter, type VigilEvent } from "../api.ts";
import { dayRange, localDay, QueryState, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";
import { DayTimelines } from "./DayTimeline.tsx";
import { EventCard } from "./EventCard.tsx";

const SELECT =
  "mt-1 block w-full rounded-md border border-slate-600 bg-slate-950 px-3 py-2 text-base text-white";

interface Filters {
  camera: string;
  type: string;
  severity: Severity | "";
  zone: string;
  text: string;
  /** Local date, YYYY-MM-DD; "" = any day. */
  day: string;
}

/** What happened, newest first: filters, day bars per camera and an endless list. */
export function EventsView({
  cameras,
  nowMs,
  role,
  onSearchFace,
  onOpenPlayback,
}: {
  cameras: Camera[] | undefined;
  nowMs: number;
  role: Role;
  onSearchFace?: ((event: VigilEvent) => void) | undefined;
  onOpenPlayback?: ((cameraId: string, atMs: number) => void) | undefined;
}) {
  const [filters, setFilters] = useState<Filters>({
    camera: "",
    type: "",
    severity: "",
    zone: "",
    text: "",
    day: localDay(nowMs),
  });
  const range = filters.day === "" ? null : dayRange(filters.day);
  const query: EventFilter = {
    camera_id: filters.camera || undefined,
    type: filters.type.trim() || undefined,
    severity: filters.severity || undefined,
    zone_id: filters.zone.trim() || undefined,
    text: filters.text.trim() || undefined,
    start: range?.start,
    end: range?.end,
  };
  const timelineDay = range ?? dayRange(localDay(nowMs));
  const shownCameras = (cameras ?? []).filter(
    (c) => filters.camera === "" || c.id === filters.camera,
  );
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="Everything the rules saw, newest first. Scroll for older events.">
        Events
      </PageHeading>
      <FilterBar filters={filters} cameras={cameras} onChange={setFilters} />
      <Section id="timeline" title={`Day at a glance (${filters.day || localDay(nowMs)})`}>
        {cameras === undefined ? (
          <p className="text-slate-400">Loading cameras…</p>
        ) : (
          <DayTimelines
            cameras={shownCameras}
            startMs={timelineDay.startMs}
            endMs={timelineDay.endMs}
            nowMs={nowMs}
          />
        )}
      </Section>
      <Section id="event-list" title="Events">
        <EventList
          filter={query}
          nowMs={nowMs}
          role={role}
          onSearchFace={onSearchFace}
          onOpenPlayback={onOpenPlayback}
        />
      </Section>
    </div>
  );
}

function FilterBar({
  filters,
  cameras,
  onChange,
}: {
  filters: Filters;
  cameras: Camera[] | undefined;
  onChange: (filters: Filters) => void;
}) {
  const ids = {
    camera: useId(),
    type: useId(),
    severity: useId(),
    zone: useId(),
    text: useId(),
    day: useId(),
  };
  const set = (patch: Partial<Filters>) => {
    onChange({ ...filters, ...patch });
  };
  return (
    <form
      role="search"
      aria-label="Event filters"
      onSubmit={(e) => {
        e.preventDefault();
      }}
      className="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-5"
    >
      <div>
        <label htmlFor={ids.camera} className="text-base font-medium text-slate-200">
          Camera
        </label>
        <select
          id={ids.camera}
          data-testid="event-filter-camera"
          value={filters.camera}
          onChange={(e) => {
            set({ camera: e.target.value });
          }}
          className={SELECT}
        >
          <option value="">All cameras</option>
          {cameras?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={ids.type} className="text-base font-medium text-slate-200">
          Type
        </label>
        <input
          id={ids.type}
          data-testid="event-filter-type"
          list={`${ids.type}-list`}
          value={filters.type}
          placeholder="any"
          onChange={(e) => {
            set({ type: e.target.value });
          }}
          className={INPUT}
        />
        <datalist id={`${ids.type}-list`}>
          {RULE_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </div>
      <div>
        <label htmlFor={ids.severity} className="text-base font-medium text-slate-200">
          Severity
        </label>
        <select
          id={ids.severity}
          data-testid="event-filter-severity"
          value={filters.severity}
          onChange={(e) => {
            set({ severity: e.target.value as Severity | "" });
          }}
          className={SELECT}
        >
          <option value="">Any</option>
          {(Object.keys(SEVERITY) as Severity[]).map((s) => (
            <option key={s} value={s}>
              {SEVERITY[s].label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={ids.zone} className="text-base font-medium text-slate-200">
          Zone id
        </label>
        <input
          id={ids.zone}
          data-testid="event-filter-zone"
          value={filters.zone}
          placeholder="any"
          onChange={(e) => {
            set({ zone: e.target.value });
          }}
          className={INPUT}
        />
      </div>
      <div>
        <label htmlFor={ids.text} className="text-base font-medium text-slate-200">
          Words
        </label>
        <input
          id={ids.text}
          type="search"
          data-testid="event-filter-text"
          value={filters.text}
          placeholder="e.g. gate"
          maxLength={100}
          onChange={(e) => {
            set({ text: e.target.value });
          }}
          className={INPUT}
        />
      </div>
      <div>
        <label htmlFor={ids.day} className="text-base font-medium text-slate-200">
          Day
        </label>
        <input
          id={ids.day}
          type="date"
          data-testid="event-filter-day"
          value={filters.day}
          onChange={(e) => {
            set({ day: e.target.value });
          }}
          className={INPUT}
        />
      </div>
    </form>
  );
}

function EventList({
  filter,
  nowMs,
  role,
  onSearchFace,
  onOpenPlayback,
}: {
  filter: EventFilter;
  nowMs: number;
  role: Role;
  onSearchFace?: ((event: VigilEvent) => void) | undefined;
  onOpenPlayback?: ((cameraId: string, atMs: number) => void) | undefined;
}) {
  const views = useViewsApi();
  const pages = useInfiniteQuery({
    queryKey: ["events", filter],
    queryFn: ({ pageParam, signal }) => views.events(filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  useEffect(() => {
    const node = sentinel.current;
    if (node === null || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: "400px" },
    );
    observer.observe(node);
    return () => {
      observer.disconnect();
    };
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const events = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <QueryState
      what="events"
      isPending={pages.isPending}
      error={pages.error}
      onRetry={() => void pages.refetch()}
      isEmpty={events.length === 0}
      empty="No events match these filters."
    >
      <ol className="flex flex-col gap-3" data-testid="event-list">
        {events.map((event) => (
          <EventCard
            key={event.id}
            event={event}
            nowMs={nowMs}
            role={role}
            onSearchFace={onSearchFace}
            onOpenPlayback={onOpenPlayback}
          />
        ))}
      </ol>
      <div ref={sentinel} className="py-4 text-center text-base text-slate-400">
        {isFetchingNextPage ? (
          "Loading older events…"
        ) : hasNextPage ? (
          <button type="button" className="underline" onClick={() => void fetchNextPage()}>
            Load older events
          </button>
        ) : (
          "No older events."
        )}
      </div>
    </QueryState>
  );
}
