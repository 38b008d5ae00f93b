import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import type { Camera } from "../../api/types.ts";
import { BUTTON_PRIMARY, BUTTON_SECONDARY } from "../../components/formStyles.ts";
import { useApi } from "../../context.ts";
import { formatFull, parseTimeMs } from "../../lib/time.ts";
import type { FaceMatch, VigilEvent } from "../../api/types.ts";
import { errorText, Section } from "../common.tsx";
import { Thumbnail } from "../events/EventCard.tsx";
import { useViewsApi } from "../useViewsApi.ts";

type Search =
  | { state: "idle" }
  | { state: "searching"; what: string }
  | { state: "done"; what: string; matches: FaceMatch[] }
  | { state: "failed"; what: string; error: string };

/** Upload a photo (or take an event's picture) and list the stored faces nearest to it. */
export function FaceSearch({
  cameras,
  probeEvent,
}: {
  cameras: Camera[] | undefined;
  /** An event picked in the events view: its snapshot is searched once. */
  probeEvent: VigilEvent | null;
}) {
  const api = useApi();
  const views = useViewsApi();
  const inputId = useId();
  const fileRef = useRef<HTMLInputElement>(null);
  const [search, setSearch] = useState<Search>({ state: "idle" });
  const run = (what: string, answer: Promise<FaceMatch[]>) => {
    setSearch({ state: "searching", what });
    answer.then(
      (matches) => {
        setSearch({ state: "done", what, matches });
      },
      (err: unknown) => {
        if (err instanceof SessionExpiredError) return;
        setSearch({ state: "failed", what, error: errorText(err, "the search failed") });
      },
    );
  };
  const runRef = useRef(run);
  useEffect(() => {
    runRef.current = run;
  });
  const probeId = probeEvent?.id ?? null;
  const probePath = probeEvent?.snapshot_url ?? null;
  const probeLabel =
    probeEvent === null ? "" : `the picture of ${probeEvent.type} on ${probeEvent.camera_name}`;
  useEffect(() => {
    if (probeId === null || probePath === null) return;
    runRef.current(
      probeLabel,
      api.blob(probePath).then((blob) => views.searchFaces(blob, `event-${probeId}.jpg`)),
    );
  }, [api, views, probeId, probePath, probeLabel]);
  const names = new Map((cameras ?? []).map((c) => [c.id, c.name]));
  return (
    <Section
      id="face-search"
      title="Find a person"
      intro="Upload a photo with a face: Vigil lists the faces it has seen that look most alike."
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const file = fileRef.current?.files?.[0];
          if (file !== undefined) run(file.name, views.searchFaces(file, file.name));
        }}
        className="flex flex-wrap items-end gap-3"
      >
        <div>
          <label htmlFor={inputId} className="block text-base font-medium text-slate-200">
            Photo (JPEG, PNG or WebP, up to 10 MB)
          </label>
          <input
            id={inputId}
            ref={fileRef}
            type="file"
            accept="image/jpeg,image/png,image/webp"
            data-testid="face-search-file"
            className="mt-1 block text-base text-slate-200 file:mr-3 file:rounded-md file:border-0 file:bg-slate-700 file:px-3 file:py-2 file:text-white"
          />
        </div>
        <button
          type="submit"
          data-testid="face-search-submit"
          disabled={search.state === "searching"}
          className={BUTTON_PRIMARY}
        >
          {search.state === "searching" ? "Searching…" : "Search"}
        </button>
      </form>
      <div className="mt-4" aria-live="polite">
        {search.state === "searching" && (
          <p role="status" className="text-slate-300">
            Searching for the face in {search.what}…
          </p>
        )}
        {search.state === "failed" && (
          <p
            role="alert"
            data-testid="face-search-error"
            className="text-base font-semibold text-red-300"
          >
            No search for {search.what}: {search.error}
          </p>
        )}
        {search.state === "done" && (
          <>
            <p data-testid="face-search-summary" className="mb-2 text-base text-slate-300">
              {search.matches.length === 0
                ? `No stored face looks like the one in ${search.what}.`
                : `${String(search.matches.length)} ${search.matches.length === 1 ? "face" : "faces"} most like the one in ${search.what}, most similar first:`}
            </p>
            <ol className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              {search.matches.map((match) => (
                <MatchCard
                  key={match.id}
                  match={match}
                  cameraName={names.get(match.camera_id) ?? match.camera_id}
                  onSimilar={() => {
                    run(
                      `the face seen on ${names.get(match.camera_id) ?? match.camera_id}`,
                      views.similarFaces(match.id),
                    );
                  }}
                />
              ))}
            </ol>
          </>
        )}
      </div>
    </Section>
  );
}

function MatchCard({
  match,
  cameraName,
  onSimilar,
}: {
  match: FaceMatch;
  cameraName: string;
  onSimilar: () => void;
}) {
  const views = useViewsApi();
  const atMs = parseTimeMs(match.captured_at);
  // Face rows keep no picture of their own: show the snapshot of the event of the same track.
  const event = useQuery({
    queryKey: ["face-match-event", match.camera_id, match.track_id],
    queryFn: ({ signal }) =>
      views.events(
        { camera_id: match.camera_id, track_id: match.track_id ?? undefined },
        null,
        signal,
        1,
      ),
    enabled: match.track_id !== null,
    staleTime: 60_000,
  });
  const snapshot = event.data?.items[0]?.snapshot_url ?? null;
  const percent = Math.round(match.similarity * 100);
  return (
    <li
      data-testid="face-match"
      data-similarity={match.similarity}
      className="flex gap-3 rounded-lg border border-slate-700 bg-slate-900 p-3"
    >
      <Thumbnail path={snapshot} label={`Snapshot on ${cameraName}`} />
      <div className="min-w-0">
        <p className="text-lg font-semibold text-white">{percent}% alike</p>
        <meter
          min={0}
          max={1}
          low={0.5}
          high={0.6}
          optimum={1}
          value={match.similarity}
          className="w-full"
        >
          {percent}%
        </meter>
        {match.person != null && (
          <p className="text-base font-semibold text-amber-200">Enrolled: {match.person.name}</p>
        )}
        <p className="text-base text-slate-300">{cameraName}</p>
        {atMs !== null && <p className="text-sm text-slate-400">{formatFull(atMs)}</p>}
        {match.track_id !== null && (
          <p className="text-sm text-slate-400">Track {match.track_id}</p>
        )}
        <button
          type="button"
          data-testid="face-match-similar"
          onClick={onSimilar}
          className={`mt-2 ${BUTTON_SECONDARY}`}
        >
          More like this face
        </button>
      </div>
    </li>
  );
}
