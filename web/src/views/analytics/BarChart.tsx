import { layoutBars, niceMax } from "./binning.ts";

const WIDTH = 600;
const HEIGHT = 160;
const AXIS = 28;
const LABELS = 34;

/**
 * Vertical bars drawn as SVG (no chart library). Each bar has a tooltip; the whole chart is
 * described in words for screen readers. `labelEvery` thins the x labels (hours: every 3rd).
 */
export function BarChart({
  title,
  items,
  labelEvery = 1,
  testId,
  colour = "#fbbf24",
}: {
  title: string;
  items: readonly { label: string; value: number }[];
  labelEvery?: number;
  testId?: string;
  colour?: string;
}) {
  const max = niceMax(items.map((i) => i.value));
  const bars = layoutBars(items, WIDTH - AXIS, HEIGHT, max, items.length > 12 ? 3 : 8);
  const total = items.reduce((sum, i) => sum + i.value, 0);
  const summary = `${title}: ${items.map((i) => `${i.label} ${String(i.value)}`).join(", ")}`;
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 text-base font-semibold text-slate-200">
        {title} <span className="font-normal text-slate-400">({total} in all)</span>
      </figcaption>
      <svg
        data-testid={testId}
        viewBox={`0 0 ${String(WIDTH)} ${String(HEIGHT + LABELS)}`}
        role="img"
        aria-label={summary}
        className="h-auto w-full"
      >
        <line x1={AXIS} y1={0} x2={AXIS} y2={HEIGHT} stroke="#475569" />
        <line x1={AXIS} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="#475569" />
        <text x={AXIS - 4} y={10} textAnchor="end" fontSize={11} fill="#94a3b8">
          {max}
        </text>
        <text x={AXIS - 4} y={HEIGHT} textAnchor="end" fontSize={11} fill="#94a3b8">
          0
        </text>
        {bars.map((bar, i) => (
          <g key={`${bar.label}-${String(i)}`} transform={`translate(${String(AXIS)} 0)`}>
            <rect
              data-testid={testId === undefined ? undefined : `${testId}-bar`}
              data-value={bar.value}
              x={bar.x}
              y={bar.y}
              width={bar.width}
              height={bar.height}
              fill={colour}
            >
              <title>{`${bar.label}: ${String(bar.value)}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <text
                x={bar.x + bar.width / 2}
                y={HEIGHT + 14}
                textAnchor="middle"
                fontSize={11}
                fill="#cbd5e1"
              >
                {bar.label.length > 12 ? `${bar.label.slice(0, 11)}…` : bar.label}
              </text>
            )}
          </g>
        ))}
      </svg>
    </figure>
  );
}
