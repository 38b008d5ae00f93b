import { useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import type { Camera } from "../../api/types.ts";
import { useAuthedImage } from "../../hooks/useAuthedImage.ts";
import { useElementSize } from "../../hooks/useElementSize.ts";
import { DEFAULT_ASPECT, pictureAspect } from "../../lib/aspect.ts";
import type { Point, Zone } from "../../api/types.ts";
import {
  asPoints,
  movePoint,
  nearestPoint,
  normalise,
  removePoint,
  selfIntersections,
  type Draft,
} from "./geometry.ts";

const SNAPSHOT_REFRESH_MS = 2000;
/** A vertex handle is grabbed within this many CSS pixels. */
const HANDLE_PX = 12;
const KEY_STEP = 0.01;

/**
 * The camera's live picture with zones drawn over it. Clicking adds a point (`onAdd`);
 * points are dragged with the mouse or moved with the arrow keys once focused (Delete removes
 * one). Existing zones are outlined: config zones dashed (read-only), API zones solid.
 */
export function ZoneEditor({
  camera,
  draft,
  mode,
  zones,
  onAdd,
  onChange,
}: {
  camera: Camera;
  draft: Draft;
  /** "polygon": a zone; "line": two points of a line_crossing rule. */
  mode: "polygon" | "line";
  zones: readonly Zone[];
  onAdd: (p: Point) => void;
  onChange: (draft: Draft) => void;
}) {
  const boxRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(boxRef);
  const [dragging, setDragging] = useState<number | null>(null);
  const image = useAuthedImage(
    camera.last_frame_at !== null
      ? `/api/v1/cameras/${encodeURIComponent(camera.id)}/snapshot`
      : null,
    { refreshMs: SNAPSHOT_REFRESH_MS, version: camera.last_frame_at },
  );
  const aspect =
    pictureAspect(camera.display_aspect, image.naturalWidth, image.naturalHeight) ?? DEFAULT_ASPECT;
  const { width, height } = size;
  const toPx = (p: Point) => [p[0] * width, p[1] * height] as const;
  const pointAt = (e: PointerEvent<SVGSVGElement>): Point => {
    const rect = e.currentTarget.getBoundingClientRect();
    return normalise(e.clientX - rect.left, e.clientY - rect.top, rect.width, rect.height);
  };
  const crossing = mode === "polygon" && draft.closed && selfIntersections(draft.points).length > 0;

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    const p = pointAt(e);
    const tolerance = width > 0 ? HANDLE_PX / width : 0;
    const hit = nearestPoint(draft.points, p, tolerance);
    // The first point of an open polygon closes it (onAdd decides); any other point is dragged.
    if (
      hit >= 0 &&
      !(mode === "polygon" && hit === 0 && !draft.closed && draft.points.length >= 3)
    ) {
      e.currentTarget.setPointerCapture(e.pointerId);
      setDragging(hit);
      return;
    }
    onAdd(p);
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (dragging !== null) onChange(movePoint(draft, dragging, pointAt(e)));
  };
  const onPointerUp = () => {
    setDragging(null);
  };
  const onHandleKey = (index: number) => (e: KeyboardEvent<SVGCircleElement>) => {
    const p = draft.points[index];
    if (p === undefined) return;
    const step = e.shiftKey ? KEY_STEP * 5 : KEY_STEP;
    const moves: Record<string, Point> = {
      ArrowLeft: [p[0] - step, p[1]],
      ArrowRight: [p[0] + step, p[1]],
      ArrowUp: [p[0], p[1] - step],
      ArrowDown: [p[0], p[1] + step],
    };
    const moved = moves[e.key];
    if (moved !== undefined) {
      e.preventDefault();
      onChange(movePoint(draft, index, moved));
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      onChange(removePoint(draft, index));
    }
  };

  const points = draft.points.map(toPx);
  const path = points.map(([x, y]) => `${String(x)},${String(y)}`).join(" ");
  const stroke = crossing ? "#f87171" : "#fbbf24";
  return (
    <div
      ref={boxRef}
      data-testid="zone-editor"
      className="relative w-full max-w-3xl touch-none overflow-hidden rounded bg-black select-none"
      style={{ aspectRatio: aspect }}
    >
      {image.url !== null ? (
        <img
          src={image.url}
          alt={`Live picture of ${camera.name}`}
          draggable={false}
          className="absolute inset-0 size-full object-fill"
        />
      ) : (
        <p className="absolute inset-0 grid place-items-center text-slate-400">
          {camera.last_frame_at === null ? "No picture from this camera yet" : "Loading picture…"}
        </p>
      )}
      <svg
        data-testid="zone-canvas"
        className="absolute inset-0 size-full cursor-crosshair"
        viewBox={`0 0 ${String(Math.max(1, width))} ${String(Math.max(1, height))}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        role="application"
        aria-label={`Drawing area over ${camera.name}: click to add ${mode === "line" ? "the line's end points" : "the zone's corners"}`}
      >
        {zones.map((zone) => {
          const corners = asPoints(zone.polygon).map(toPx);
          const first = corners[0];
          return (
            <g
              key={`${zone.camera_id}/${zone.id}`}
              data-testid="zone-outline"
              data-zone-id={zone.id}
            >
              <polygon
                points={corners.map((p) => p.join(",")).join(" ")}
                fill={zone.source === "config" ? "rgba(148,163,184,0.15)" : "rgba(56,189,248,0.15)"}
                stroke={zone.source === "config" ? "#94a3b8" : "#38bdf8"}
                strokeWidth={2}
                strokeDasharray={zone.source === "config" ? "6 4" : undefined}
              />
              {first !== undefined && (
                <text
                  x={first[0] + 4}
                  y={first[1] + 16}
                  fontSize={14}
                  fill="#e2e8f0"
                  stroke="#000"
                  strokeWidth={3}
                  paintOrder="stroke"
                >
                  {zone.name}
                </text>
              )}
            </g>
          );
        })}
        {mode === "polygon" && draft.closed ? (
          <polygon points={path} fill="rgba(251,191,36,0.25)" stroke={stroke} strokeWidth={3} />
        ) : (
          <polyline points={path} fill="none" stroke={stroke} strokeWidth={3} />
        )}
        {points.map(([x, y], i) => (
          <circle
            key={i}
            data-testid="zone-point"
            cx={x}
            cy={y}
            r={i === 0 && mode === "polygon" && !draft.closed ? 9 : 7}
            fill={i === 0 ? "#f59e0b" : "#fde68a"}
            stroke="#000"
            strokeWidth={2}
            tabIndex={0}
            role="button"
            aria-label={`Point ${String(i + 1)} at ${String(Math.round((draft.points[i]?.[0] ?? 0) * 100))}%, ${String(Math.round((draft.points[i]?.[1] ?? 0) * 100))}%: arrow keys move it, Delete removes it`}
            onKeyDown={onHandleKey(i)}
            className="cursor-move focus:outline-none [&:focus]:stroke-white"
          />
        ))}
      </svg>
    </div>
  );
}
