import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type ComponentProps, type ReactNode } from "react";
import type { Camera, Role, Severity } from "../../api/types.ts";
import { PageHeading } from "../../admin/common.tsx";
import { FILTER_LABEL, SELECT } from "../../components/formStyles.ts";
import { RULE_TYPES, type EventFilter, type VigilEvent } from "../../api/types.ts";
import {
  cameraOptions,
  Select,
  SEVERITY_OPTIONS,
  TextInput,
  type Option,
} from "../../components/inputs.tsx";
import { dayRange, Field, localDay, QueryState, queryStatus, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";
import { DayTimelines } from "./DayTimeline.tsx";
import { EventCard } from "./EventCard.tsx";

const SEVERITY_CHOICES: readonly Option<Severity | "">[] = [["", "Any"], ...SEVERITY_OPTIONS];

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
  /** A typed filter: its label, its input (test id `event-filter-<key>`) and any extras. */
  const text = (
    key: "type" | "zone" | "text" | "day",
    label: string,
    props: ComponentProps<"input">,
    extra?: ReactNode,
  ) => (
    <Field id={ids[key]} label={label} labelClassName={FILTER_LABEL}>
      <TextInput
        id={ids[key]}
        data-testid={`event-filter-${key}`}
        value={filters[key]}
        {...props}
        onChange={(value) => {
          set({ [key]: value });
        }}
      />
      {extra}
    </Field>
  );
  return (
    <form
      role="search"
      aria-label="Event filters"
      onSubmit={(e) => {
        e.preventDefault();
      }}
      className="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-5"
    >
      <Field id={ids.camera} label="Camera" labelClassName={FILTER_LABEL}>
        <Select
          id={ids.camera}
          data-testid="event-filter-camera"
          value={filters.camera}
          options={cameraOptions(cameras, "All cameras")}
          onChange={(camera) => {
            set({ camera });
          }}
          className={SELECT}
        />
      </Field>
      {text(
        "type",
        "Type",
        { list: `${ids.type}-list`, placeholder: "any" },
        <datalist id={`${ids.type}-list`}>
          {RULE_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>,
      )}
      <Field id={ids.severity} label="Severity" labelClassName={FILTER_LABEL}>
        <Select
          id={ids.severity}
          data-testid="event-filter-severity"
          value={filters.severity}
          options={SEVERITY_CHOICES}
          onChange={(severity) => {
            set({ severity });
          }}
          className={SELECT}
        />
      </Field>
      {text("zone", "Zone id", { placeholder: "any" })}
      {text("text", "Words", { type: "search", placeholder: "e.g. gate", maxLength: 100 })}
      {text("day", "Day", { type: "date" })}
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
      {...queryStatus(pages)}
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
