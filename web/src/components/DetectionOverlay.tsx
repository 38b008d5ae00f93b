import type { Detection } from "../api/types.ts";
import { overlayBoxes } from "../lib/bbox.ts";
import { LABEL_STYLE, placeLabels } from "../lib/labels.ts";
import { DETECTION_COLOUR } from "./styles.ts";

/**
 * Boxes and labels drawn over a picture stretched (object-fit: fill) to the
 * same `width` x `height` CSS pixels; detections are normalised xyxy. Labels
 * never overlap: crowded or narrow boxes get a short one ("87%") or none.
 */
export function DetectionOverlay({
  detections,
  width,
  height,
}: {
  detections: readonly Detection[];
  width: number;
  height: number;
}) {
  const boxes = overlayBoxes(detections, { x: 0, y: 0, width, height });
  if (boxes.length === 0) return null;
  const labels = placeLabels(boxes, width, height);
  return (
    <svg
      className="pointer-events-none absolute inset-0"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      aria-hidden="true"
      data-testid="detection-overlay"
    >
      {boxes.map((box, index) => {
        const colour = DETECTION_COLOUR[box.className] ?? "#f8fafc";
        const label = labels[index];
        return (
          <g key={box.key}>
            <rect
              x={box.rect.x}
              y={box.rect.y}
              width={box.rect.width}
              height={box.rect.height}
              fill="none"
              stroke={colour}
              strokeWidth={2}
            />
            {label != null && (
              <>
                <rect
                  x={label.rect.x}
                  y={label.rect.y}
                  width={label.rect.width}
                  height={label.rect.height}
                  fill={colour}
                  rx={2}
                />
                <text
                  x={label.rect.x + LABEL_STYLE.paddingPx}
                  y={label.rect.y + 13}
                  fill="#020617"
                  fontSize={12}
                  fontWeight={700}
                  fontFamily="ui-sans-serif, system-ui, sans-serif"
                >
                  {label.text}
                </text>
              </>
            )}
          </g>
        );
      })}
    </svg>
  );
}
