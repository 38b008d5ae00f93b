import { useQuery } from "@tanstack/react-query";
import type { Role } from "../../api/types.ts";
import { Pill } from "../../components/Pill.tsx";
import { RecordingIntegrityCard } from "../../components/RecordingIntegrityCard.tsx";
import { healthInfo, type Tone } from "../../components/styles.ts";
import { useApi } from "../../context.ts";
import { formatFull, parseTimeMs } from "../../lib/time.ts";
import { QueryState, queryStatus, Section } from "../common.tsx";
import { useViewsApi } from "../useViewsApi.ts";

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

const COMPONENT_TONE: Record<string, Tone> = { ok: "good", degraded: "warn", down: "bad" };

/** Health of the parts, the edges, recording coverage and undelivered notifications. */
export function SystemPanel({ role }: { role: Role }) {
  const api = useApi();
  const views = useViewsApi();
  const health = useQuery({
    queryKey: ["health"],
    queryFn: ({ signal }) => api.health(signal),
    refetchInterval: 10_000,
  });
  const edges = useQuery({
    queryKey: ["edges"],
    queryFn: ({ signal }) => views.edges(signal),
    refetchInterval: 30_000,
  });
  const integrity = useQuery({
    queryKey: ["recording-integrity"],
    queryFn: ({ signal }) => api.recordingIntegrity(signal),
    refetchInterval: 60_000,
  });
  const letters = useQuery({
    queryKey: ["dead-letters"],
    queryFn: ({ signal }) => views.deadLetters(signal),
    enabled: role !== "viewer",
  });
  return (
    <Section id="system" title="System health">
      <QueryState what="system health" {...queryStatus(health)} isEmpty={false} empty="">
        {health.data !== undefined && (
          <div data-testid="system-health" data-status={health.data.status}>
            <p className="mb-2 text-lg font-semibold text-white">
              {healthInfo(health.data.status).label}
            </p>
            <ul className="grid grid-cols-1 gap-2 sm:grid-cols-2">
              {Object.entries(health.data.components).map(([name, c]) => (
                <li
                  key={name}
                  className="flex items-center justify-between gap-2 rounded border border-slate-800 px-3 py-1.5"
                >
                  <span className="text-base text-slate-200">
                    {name}
                    {c.detail !== null && (
                      <span className="block text-sm text-slate-400">{c.detail}</span>
                    )}
                  </span>
                  <Pill tone={COMPONENT_TONE[c.status] ?? "muted"}>{c.status}</Pill>
                </li>
              ))}
            </ul>
          </div>
        )}
      </QueryState>
      <h3 className="mt-4 mb-2 text-lg font-semibold text-white">Edges</h3>
      <QueryState
        what="edges"
        isPending={edges.isPending}
        error={edges.error}
        isEmpty={edges.data?.length === 0}
        empty="No edge gateways report to this server (one-box site)."
      >
        <ul className="space-y-2">
          {edges.data?.map((edge) => {
            const ms = parseTimeMs(edge.last_contact);
            return (
              <li
                key={edge.edge_id}
                data-testid="edge-row"
                className="flex flex-wrap items-center gap-3 rounded border border-slate-800 px-3 py-1.5 text-base"
              >
                <span className="font-semibold text-white">{edge.edge_id}</span>
                <Pill tone={edge.status === "ONLINE" ? "good" : "bad"}>{edge.status}</Pill>
                <span className="text-slate-300">
                  {edge.streams_online} streams · disk free {gib(edge.disk_free_bytes)} · memory{" "}
                  {edge.memory_used_percent}%
                </span>
                {ms !== null && (
                  <span className="text-sm text-slate-400">last contact {formatFull(ms)}</span>
                )}
              </li>
            );
          })}
        </ul>
      </QueryState>
      <RecordingIntegrityCard cameras={integrity.data} failed={integrity.isError} />
      {role !== "viewer" && (
        <p className="mt-3 text-base text-slate-300" data-testid="system-dead-letters">
          {letters.data === undefined
            ? "Undelivered notifications: …"
            : letters.data.length === 0
              ? "Every notification was delivered."
              : `${String(letters.data.length)} notifications could not be delivered (see Alerts).`}
        </p>
      )}
    </Section>
  );
}
