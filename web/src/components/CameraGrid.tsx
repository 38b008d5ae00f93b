import { useState } from "react";
import type { Camera } from "../api/types.ts";
import { pageForcesHls, localStore } from "../video/fallback.ts";
import {
  GRID_COLUMNS,
  GRID_SIZES,
  gridPage,
  loadGridSize,
  pageAfterResize,
  saveGridSize,
  type GridSize,
} from "../video/layout.ts";
import { CameraTile } from "./CameraTile.tsx";

const PAGE_BUTTON =
  "rounded-md bg-slate-800 px-3 py-1.5 text-base font-semibold text-white ring-1 ring-slate-600 hover:bg-slate-700 disabled:opacity-40";

/**
 * The live grid: 1, 4, 9 or 16 tiles a page (the choice is remembered in this
 * browser), pages when there are more cameras. Only the tiles of the page
 * shown exist, so a 16-grid runs at most 16 players.
 */
export function CameraGrid({
  cameras,
  nowMs,
  loading,
  onOpenCamera,
}: {
  cameras: readonly Camera[] | undefined;
  nowMs: number;
  loading: boolean;
  onOpenCamera: (cameraId: string) => void;
}) {
  const [size, setSize] = useState<GridSize>(() => loadGridSize(localStore()));
  const [page, setPage] = useState(0);
  const [forceHls] = useState(pageForcesHls);
  const shown = gridPage(cameras ?? [], size, page);

  return (
    <section aria-labelledby="cameras-heading" className="min-w-0">
      <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 pb-3">
        <h2 id="cameras-heading" className="text-xl font-bold text-white">
          Cameras
          {cameras !== undefined && (
            <span className="ml-2 text-base font-normal text-slate-400">
              {cameras.filter((c) => c.status === "online").length} of {cameras.length} online
            </span>
          )}
        </h2>
        <div role="group" aria-label="Tiles per page" className="flex gap-1">
          {GRID_SIZES.map((option) => (
            <button
              key={option}
              type="button"
              data-testid={`grid-size-${option}`}
              aria-pressed={option === size}
              onClick={() => {
                setPage(pageAfterResize(size, shown.page, option));
                setSize(option);
                saveGridSize(localStore(), option);
              }}
              className={`min-w-10 rounded-md px-2.5 py-1.5 text-base font-semibold ring-1 ${
                option === size
                  ? "bg-amber-400 text-slate-950 ring-amber-300"
                  : "bg-slate-800 text-slate-200 ring-slate-600 hover:bg-slate-700"
              }`}
            >
              {option}
              <span className="sr-only"> tiles</span>
            </button>
          ))}
        </div>
      </div>
      {cameras === undefined ? (
        <p className="text-base text-slate-400">
          {loading ? "Loading cameras…" : "No camera list."}
        </p>
      ) : cameras.length === 0 ? (
        <p className="rounded-lg border border-slate-800 bg-slate-900 px-4 py-6 text-center text-lg text-slate-300">
          No cameras are configured.
        </p>
      ) : (
        <>
          <div
            data-testid="camera-grid"
            data-size={size}
            className={`grid gap-3 ${GRID_COLUMNS[size]}`}
          >
            {shown.items.map((camera) => (
              <CameraTile
                key={camera.id}
                camera={camera}
                nowMs={nowMs}
                forceHls={forceHls}
                onOpen={onOpenCamera}
              />
            ))}
          </div>
          {shown.pageCount > 1 && (
            <nav aria-label="Camera pages" className="mt-3 flex items-center justify-center gap-3">
              <button
                type="button"
                data-testid="grid-prev"
                className={PAGE_BUTTON}
                disabled={shown.page === 0}
                onClick={() => {
                  setPage(shown.page - 1);
                }}
              >
                Previous
              </button>
              <span data-testid="grid-page" className="text-base text-slate-300 tabular-nums">
                Cameras {shown.first}–{shown.last} of {cameras.length} (page {shown.page + 1} of{" "}
                {shown.pageCount})
              </span>
              <button
                type="button"
                data-testid="grid-next"
                className={PAGE_BUTTON}
                disabled={shown.page >= shown.pageCount - 1}
                onClick={() => {
                  setPage(shown.page + 1);
                }}
              >
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
