import { useQueries, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { Camera } from "../../api/types.ts";
import { PageHeading } from "../../admin/common.tsx";
import { FILTER_LABEL } from "../../components/formStyles.ts";
import type { DailyReport } from "../../api/types.ts";
import { cameraOptions, Select, TextInput } from "../../components/inputs.tsx";
import { dayRange, Field, localDay, QueryState, queryStatus, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";
import { BarChart } from "./BarChart.tsx";
import { ACK_GOAL_S, formatDuration, rankedBars } from "./binning.ts";
import { HeatmapPanel } from "./Heatmap.tsx";

const DAY_MS = 86_400_000;

/** Events per hour, day, camera and type; where people were; how fast alerts were answered. */
export function AnalyticsView({
  cameras,
  nowMs,
}: {
  cameras: Camera[] | undefined;
  nowMs: number;
}) {
  const views = useViewsApi();
  const dayId = useId();
  const cameraId = useId();
  // null: the site's today (the site's time zone decides which day that is).
  const [day, setDay] = useState<string | null>(null);
  const [heatCamera, setHeatCamera] = useState("");
  const report = useQuery({
    queryKey: ["report-daily", day],
    queryFn: ({ signal }) => views.dailyReport(day, signal),
  });
  const shownDay = day ?? report.data?.day ?? null;
  // The week up to the shown day, one report each (they are small).
  const week =
    shownDay === null
      ? []
      : Array.from({ length: 7 }, (_, i) =>
          localDay(dayRange(shownDay).startMs - (6 - i) * DAY_MS + DAY_MS / 2),
        );
  const weekReports = useQueries({
    queries: week.map((d) => ({
      queryKey: ["report-daily", d],
      queryFn: ({ signal }: { signal: AbortSignal }) => views.dailyReport(d, signal),
    })),
  });
  const camera = cameras?.find((c) => c.id === heatCamera) ?? cameras?.[0];
  const names = new Map((cameras ?? []).map((c) => [c.id, c.name]));
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="What happened on a day, and how fast alerts were answered.">
        Analytics
      </PageHeading>
      <Field id={dayId} label="Day" labelClassName={FILTER_LABEL} className="mb-4 max-w-xs">
        <TextInput
          id={dayId}
          type="date"
          data-testid="analytics-day"
          value={shownDay ?? ""}
          max={localDay(nowMs)}
          onChange={(value) => {
            if (value !== "") setDay(value);
          }}
        />
      </Field>
      <QueryState what="the report" {...queryStatus(report)} isEmpty={false} empty="">
        {report.data !== undefined && (
          <Charts
            report={report.data}
            names={names}
            week={week.map((d, i) => ({
              label: d.slice(5),
              value: weekReports[i]?.data?.events_total ?? 0,
            }))}
          />
        )}
      </QueryState>
      <Section id="heatmap" title="Where people were seen">
        {cameras === undefined ? (
          <p className="text-slate-400">Loading cameras…</p>
        ) : camera === undefined ? (
          <p className="text-slate-400">No cameras.</p>
        ) : (
          <>
            <Field
              id={cameraId}
              label="Camera"
              labelClassName={FILTER_LABEL}
              className="mb-3 max-w-xs"
            >
              <Select
                id={cameraId}
                data-testid="heatmap-camera"
                value={camera.id}
                options={cameraOptions(cameras)}
                onChange={setHeatCamera}
              />
            </Field>
            {report.data === undefined ? (
              <p className="text-slate-400">Loading…</p>
            ) : (
              <HeatmapPanel camera={camera} start={report.data.start} end={report.data.end} />
            )}
          </>
        )}
      </Section>
    </div>
  );
}

function Charts({
  report,
  names,
  week,
}: {
  report: DailyReport;
  names: ReadonlyMap<string, string>;
  week: { label: string; value: number }[];
}) {
  const hours = report.events_by_hour.map((value, h) => ({
    label: String(h).padStart(2, "0"),
    value,
  }));
  const byCamera = rankedBars(report.events_by_camera).map((b) => ({
    ...b,
    label: names.get(b.label) ?? b.label,
  }));
  return (
    <>
      <Section id="events-charts" title={`Events on ${report.day} (${report.timezone})`}>
        {report.events_total === 0 && (
          <p className="mb-2 text-base text-slate-300">No events on this day.</p>
        )}
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          <BarChart
            title="Per hour (site time)"
            items={hours}
            labelEvery={3}
            testId="chart-hours"
          />
          <BarChart
            title="Per day, last 7 days"
            items={week}
            testId="chart-days"
            colour="#38bdf8"
          />
          <BarChart title="Per camera" items={byCamera} testId="chart-cameras" colour="#a78bfa" />
          <BarChart
            title="Per type"
            items={rankedBars(report.events_by_type).map((b) => ({
              ...b,
              label: b.label.replaceAll("_", " "),
            }))}
            testId="chart-types"
            colour="#34d399"
          />
        </div>
      </Section>
      <ResponseTimes report={report} />
    </>
  );
}

/** Time to acknowledge against the 5-minute goal: a bar per figure with the goal line. */
function ResponseTimes({ report }: { report: DailyReport }) {
  const figures: { label: string; seconds: number | null }[] = [
    { label: "Median", seconds: report.ack_p50_s },
    { label: "90th percentile", seconds: report.ack_p90_s },
    { label: "Slowest", seconds: report.ack_max_s },
  ];
  const scale = Math.max(ACK_GOAL_S * 2, ...figures.map((f) => f.seconds ?? 0));
  const pct = (s: number) => (s / scale) * 100;
  return (
    <Section
      id="response-times"
      title="Alert response (time to acknowledge)"
      intro={`Goal: every alert acknowledged within ${formatDuration(ACK_GOAL_S)}.`}
    >
      {report.alerts_acknowledged === 0 ? (
        <p className="text-base text-slate-300" data-testid="response-none">
          {report.alerts_total === 0
            ? "No alerts on this day."
            : `${String(report.alerts_total)} alerts, none acknowledged yet.`}
        </p>
      ) : (
        <>
          <p className="mb-3 text-lg text-white" data-testid="response-within-goal">
            {report.ack_within_goal_pct ?? 0}% of {report.alerts_acknowledged} acknowledged alerts
            were answered within the goal ({report.alerts_total} alerts in all).
          </p>
          <div className="relative max-w-3xl space-y-2">
            {figures.map((f) => {
              if (f.seconds === null) return null;
              const late = f.seconds > ACK_GOAL_S;
              return (
                <div key={f.label} className="flex items-center gap-3">
                  <span className="w-32 shrink-0 text-base text-slate-200">{f.label}</span>
                  <div className="relative h-6 flex-1 rounded bg-slate-800">
                    <div
                      className={`h-full rounded ${late ? "bg-red-500" : "bg-emerald-500"}`}
                      style={{ width: `${String(pct(f.seconds))}%` }}
                    />
                    <div
                      aria-hidden="true"
                      className="absolute inset-y-[-4px] w-0.5 bg-white"
                      style={{ left: `${String(pct(ACK_GOAL_S))}%` }}
                      title="5-minute goal"
                    />
                  </div>
                  <span className={`w-28 text-base ${late ? "text-red-300" : "text-emerald-300"}`}>
                    {formatDuration(f.seconds)}
                    {late ? " (late)" : ""}
                  </span>
                </div>
              );
            })}
          </div>
        </>
      )}
    </Section>
  );
}
