import type { CameraIntegrity } from "../api/types.ts";
import { Pill } from "./Pill.tsx";
import { ColumnHeads, TitledSection } from "./TitledSection.tsx";
import type { Tone } from "./styles.ts";

/** Green at 99.9% and above, amber from 95%, red below. */
export function coverageTone(pct: number): Tone {
  if (pct >= 99.9) return "good";
  if (pct >= 95) return "warn";
  return "bad";
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function time(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Recording coverage and the latest gap per camera: is every camera being recorded? */
export function RecordingIntegrityCard({
  cameras,
  failed,
}: {
  cameras: CameraIntegrity[] | undefined;
  failed: boolean;
}) {
  return (
    <TitledSection
      headingId="integrity-title"
      testId="recording-integrity"
      className="mt-6 rounded-lg bg-slate-900 p-4 ring-1 ring-slate-700"
      headingClassName="mb-3 text-lg font-semibold text-slate-100"
      title="Recording integrity"
    >
      {failed && <p className="text-red-200">Cannot load recording integrity.</p>}
      {!failed && cameras === undefined && <p className="text-slate-400">Loading…</p>}
      {cameras !== undefined && cameras.length === 0 && (
        <p className="text-slate-400">No cameras.</p>
      )}
      {cameras !== undefined && cameras.length > 0 && (
        <table className="w-full text-left text-sm text-slate-200">
          <thead className="text-slate-400">
            <tr>
              <ColumnHeads
                labels={["Camera", "Last hour", "Last 24 h", "Gaps (24 h)"]}
                className="py-1 pr-3 font-medium"
                lastClassName="py-1 font-medium"
              />
            </tr>
          </thead>
          <tbody>
            {cameras.map((cam) => {
              const last = cam.gaps.at(-1);
              return (
                <tr key={cam.camera_id} className="border-t border-slate-800 align-top">
                  <th scope="row" className="py-1.5 pr-3 font-medium">
                    {cam.camera_id}
                  </th>
                  <td className="py-1.5 pr-3">
                    <Pill tone={coverageTone(cam.coverage_hour_pct)}>
                      {cam.coverage_hour_pct.toFixed(1)}%
                    </Pill>
                  </td>
                  <td className="py-1.5 pr-3">
                    <Pill tone={coverageTone(cam.coverage_day_pct)}>
                      {cam.coverage_day_pct.toFixed(1)}%
                    </Pill>
                  </td>
                  <td className="py-1.5">
                    {last === undefined ? (
                      "none"
                    ) : (
                      <>
                        {cam.gaps.length} ({duration(cam.gap_day_s)}); last {time(last.start)}–
                        {time(last.end)}: {last.cause}
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </TitledSection>
  );
}
