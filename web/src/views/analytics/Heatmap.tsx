import { useQuery } from "@tanstack/react-query";
import type { Camera } from "../../api/types.ts";
import { useAuthedImage } from "../../hooks/useAuthedImage.ts";
import { DEFAULT_ASPECT, pictureAspect } from "../../lib/aspect.ts";
import { QueryState, queryStatus } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";
import { heatCells, heatColour } from "./binning.ts";

/** Where people stood on one camera over a range, drawn over its latest picture. */
export function HeatmapPanel({
  camera,
  start,
  end,
}: {
  camera: Camera;
  start: string;
  end: string;
}) {
  const views = useViewsApi();
  const map = useQuery({
    queryKey: ["heatmap", camera.id, start, end],
    queryFn: ({ signal }) => views.heatmap(camera.id, start, end, signal),
  });
  const image = useAuthedImage(
    camera.last_frame_at !== null
      ? `/api/v1/cameras/${encodeURIComponent(camera.id)}/snapshot`
      : null,
  );
  const aspect =
    pictureAspect(camera.display_aspect, image.naturalWidth, image.naturalHeight) ?? DEFAULT_ASPECT;
  const data = map.data;
  const cells = data === undefined ? [] : heatCells(data.cells);
  return (
    <QueryState what="the heatmap" {...queryStatus(map)} isEmpty={false} empty="">
      {data !== undefined && (
        <>
          <div
            className="relative w-full max-w-3xl overflow-hidden rounded bg-black"
            style={{ aspectRatio: aspect }}
          >
            {image.url !== null && (
              <img
                src={image.url}
                alt={`Latest picture of ${camera.name}`}
                className="absolute inset-0 size-full object-fill"
              />
            )}
            <svg
              data-testid="heatmap"
              data-people={data.people}
              viewBox={`0 0 ${String(data.cols)} ${String(data.rows)}`}
              preserveAspectRatio="none"
              role="img"
              aria-label={`Where people were seen on ${camera.name}: ${String(data.people)} sightings`}
              className="absolute inset-0 size-full"
            >
              {cells.map((cell) => (
                <rect
                  key={`${String(cell.row)}-${String(cell.col)}`}
                  data-testid="heatmap-cell"
                  x={cell.col}
                  y={cell.row}
                  width={1}
                  height={1}
                  fill={heatColour(cell.intensity)}
                >
                  <title>{`${String(cell.count)} sightings`}</title>
                </rect>
              ))}
            </svg>
          </div>
          <p className="mt-2 text-base text-slate-300">
            {data.people === 0
              ? "Nobody was seen on this camera in this period."
              : `${String(data.people)} sightings in ${String(data.events)} events; red is busiest.`}
            {data.truncated && " Only the newest 20,000 events are counted."}
          </p>
        </>
      )}
    </QueryState>
  );
}
