import type { Detection } from "../api/types.ts";
import { containRect, overlayBoxes } from "../lib/bbox.ts";
import { DETECTION_COLOUR } from "./styles.ts";

const LABEL_HEIGHT_PX = 18;
const LABEL_CHAR_PX = 7;

/**
 * Boxes and labels drawn over an `object-fit: contain` image that fills a
 * `boxWidth` x `boxHeight` element; detections are normalised xyxy.
 */
export function DetectionOverlay({
  detections,
  boxWidth,
  boxHeight,
  naturalWidth,
  naturalHeight,
}: {
  detections: readonly Detection[];
  boxWidth: number;
  boxHeight: number;
  naturalWidth: number;
  naturalHeight: number;
}) {
  const content = containRect(boxWidth, boxHeight, naturalWidth, naturalHeight);
  const boxes = overlayBoxes(detections, content);
  if (boxes.length === 0) return null;
  return (
    <svg
      className="pointer-events-none absolute inset-0"
      width={boxWidth}
      height={boxHeight}
      viewBox={`0 0 ${boxWidth} ${boxHeight}`}
      aria-hidden="true"
      data-testid="detection-overlay"
    >
      {boxes.map((box) => {
        const colour = DETECTION_COLOUR[box.className] ?? "#f8fafc";
        const labelWidth = box.label.length * LABEL_CHAR_PX + 8;
        // Label above the box, or inside its top edge when there is no room above.
        const labelY =
          box.rect.y - LABEL_HEIGHT_PX >= content.y ? box.rect.y - LABEL_HEIGHT_PX : box.rect.y;
        const labelX = Math.min(box.rect.x, content.x + content.width - labelWidth);
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
            <rect
              x={Math.max(content.x, labelX)}
              y={labelY}
              width={labelWidth}
              height={LABEL_HEIGHT_PX}
              fill={colour}
              rx={2}
            />
            <text
              x={Math.max(content.x, labelX) + 4}
              y={labelY + 13}
              fill="#020617"
              fontSize={12}
              fontWeight={700}
              fontFamily="ui-sans-serif, system-ui, sans-serif"
            >
              {box.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
